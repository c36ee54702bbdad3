"""HTTP routes, one module per noun: home, respond (the phone pages), api (JSON ingest)."""
