"""Live servers for tests that need a real socket: a free port, and a `cunsheng serve` subprocess.

The subprocess helper owns the process it starts: it waits for the first answer, and always ends
the process (and so its workers) when the block exits, whatever happened inside.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any CUNSHENG_ setting or PYTHONPATH, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUNSHENG_") and k != "PYTHONPATH"}
    return env | extra


@contextmanager
def serving(command: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 45) -> Iterator[str]:
    """Run `command` (a `cunsheng serve --port N ...`) and yield its base URL once `/healthz` answers."""
    port = command[command.index("--port") + 1]
    url = f"http://127.0.0.1:{port}"
    log = cwd / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(proc, url, timeout, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(proc: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"server did not answer within {timeout} s:\n{log.read_text(errors='replace')}")
