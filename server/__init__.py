"""The web application room: routes, persistence, templates' data.

Kept import-light on purpose: `server.cli` is the entry point for every `cunsheng` command,
including `cunsheng estimate`, which must not pay for importing the web framework.
"""
