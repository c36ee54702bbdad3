"""`cunsheng serve --workers 2` on PostgreSQL: a draft started on one process continues on another,
and a shared database without CUNSHENG_SECRET_KEY stops the server before it connects.

Every request goes over a fresh connection (`Connection: close`), so the kernel hands each one to
whichever worker accepts it; the `X-Cunsheng-Worker` header says which one did. The test repeats a
request until the other worker answers it, so each claim below is observed, not assumed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from server.settings import ROOT
from surveys.compiler import compile_file
from tests.server.live import clean_env, free_port, serving
from tests.server.robot import VILLAGE, Robot, browser_csrf

CUNSHENG = str(Path(sys.executable).parent / "cunsheng")
WORKER = "X-Cunsheng-Worker"


def answered_by(http: httpx.Client, request: Callable[[], httpx.Response], wanted: Callable[[str], bool],
                timeout: float = 30) -> httpx.Response:
    """Repeat `request` (each on a new connection) until a worker for which `wanted(pid)` answers it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = request()
        if wanted(response.headers[WORKER]):
            return response
    raise AssertionError("the wanted worker never answered")


def csrf(response: httpx.Response) -> str:
    return BeautifulSoup(response.text, "html.parser").select_one("input[name=csrf]")["value"]


@pytest.mark.slow
@pytest.mark.postgresql
def test_a_draft_started_on_one_worker_continues_on_another(postgres: Any, tmp_path: Path) -> None:
    assert postgres is not None
    env = clean_env(CUNSHENG_DATABASE_URL=f"{postgres.base}/{postgres.create(postgres.template)}",
                    CUNSHENG_SECRET_KEY="one-secret-for-the-whole-deployment")
    command = [CUNSHENG, "serve", "--workers", "2", "--port", str(free_port())]
    with serving(command, tmp_path, env) as url, httpx.Client(
            base_url=url, headers={"Connection": "close"}, timeout=10) as http:
        seen: set[str] = set()
        deadline = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < deadline:
            health = http.get("/healthz")
            assert health.json()["status"] == "ok" and str(health.json()["worker"]) == health.headers[WORKER]
            seen.add(health.headers[WORKER])
            assert "server" not in health.headers  # no banner naming the server software
        assert len(seen) == 2, seen  # two processes answer

        started = http.post("/s/women/start", data={"village": VILLAGE, "csrf": browser_csrf(http)})
        assert started.status_code == 303
        first, a = started.headers["location"], started.headers[WORKER]
        on_b = answered_by(http, lambda: http.get(first), lambda pid: pid != a)
        assert on_b.status_code == 200  # worker B finds the draft worker A started
        on_a = answered_by(http, lambda: http.get(first), lambda pid: pid == a)
        assert csrf(on_a) == csrf(on_b)  # both sign the draft's forms with the one shared secret

        survey = compile_file(ROOT / "surveys" / "definitions" / "women.yaml")
        form = Robot(None, survey).fill(first.rsplit("/", 1)[1], on_b.text)
        saved = http.post(first, data=form)  # B's form token, accepted by whichever worker answers
        assert saved.status_code == 303 and saved.headers["location"] != first
        later = http.get(saved.headers["location"])
        assert later.status_code == 200 and "下一页" in later.text


def test_serving_postgresql_without_a_secret_exits_before_connecting(tmp_path: Path) -> None:
    env = clean_env(CUNSHENG_DATABASE_URL="postgresql://nobody@127.0.0.1:1/unreachable")
    done = subprocess.run([CUNSHENG, "serve", "--workers", "2", "--port", str(free_port())], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "cunsheng serve: 错误 [settings.secret_missing]" in done.stderr
    assert "CUNSHENG_SECRET_KEY" in done.stderr and "Traceback" not in done.stderr


def test_serve_refuses_zero_workers_with_its_code(capsys: Any) -> None:
    from server.cli import main

    assert main(["serve", "--workers", "0"]) == 2
    assert "[cli.workers]" in capsys.readouterr().err
