"""Benchmark: server time for the respondent's pages and the ingest API (in-process, SQLite file).

Run: .venv/bin/python bench/pages.py   (prints median and p95 per request kind, in milliseconds)
Goal from docs: a page under 100 ms on the box.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from server.app import create_app  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.server.robot import VILLAGE, browser_csrf, complete_answers  # noqa: E402

ROUNDS = 200


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def report(name: str, samples: list[float]) -> None:
    samples.sort()
    print(f"{name:<34} median {statistics.median(samples):6.2f} ms   p95 {samples[int(len(samples) * 0.95)]:6.2f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/bench.db", instance_dir=Path(tmp), secret_key="b",
                                     rate_limits="off"))
        survey = app.state.catalog.current["women"].survey
        with TestClient(app) as client:
            page = client.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(client)})
            csrf = re.search(r'name="csrf" value="(\w+)"', page.text).group(1)  # type: ignore[union-attr]
            url = page.url.path
            first = [timed(lambda: client.get(url)) for _ in range(ROUNDS)]
            errors = [timed(lambda: client.post(url, data={"csrf": csrf, "nav": "next"})) for _ in range(ROUNDS)]
            answers = complete_answers(survey)
            def post() -> None:
                r = client.post("/api/v1/surveys/women/responses", json={
                    "instance_id": str(uuid.uuid4()), "version": 1, "village": VILLAGE, "answers": answers})
                assert r.status_code == 201, r.text

            api = [timed(post) for _ in range(ROUNDS)]
        app.state.engine.dispose()
    report("GET first page", first)
    report("POST page with validation errors", errors)
    report("POST /api/v1 response (new)", api)


if __name__ == "__main__":
    main()
