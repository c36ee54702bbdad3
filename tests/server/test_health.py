"""`/healthz` and the `X-Cunsheng-Worker` header say which process answered."""

from __future__ import annotations

import os
from typing import Any


def test_healthz_names_the_answering_process(client: Any) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "worker": os.getpid()}


def test_every_response_carries_the_worker_header(client: Any) -> None:
    assert client.get("/").headers["X-Cunsheng-Worker"] == str(os.getpid())
    assert client.get("/no/such/page").headers["X-Cunsheng-Worker"] == str(os.getpid())
