"""Live servers for tests that need a real socket: a free port, and a `cunsheng serve` subprocess.

The subprocess helpers own the process they start: they wait for the first answer; `serving` always
ends the process (and so its workers) when the block exits, whatever happened inside; `Served` lets a
test stop, kill and start it again on the same port and database (the caller ends it).
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


class Served:
    """A `cunsheng serve` subprocess that a test starts, stops, kills (no clean shutdown, as a crash or a
    pulled plug) and starts again on the same port and database; `url` stays the same throughout."""

    def __init__(self, command: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 45):
        self.command, self.cwd, self.env, self.timeout = command, cwd, dict(env), timeout
        self.url = f"http://127.0.0.1:{command[command.index('--port') + 1]}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        log = self.cwd / "server.log"
        with log.open("ab") as out:
            self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        _wait_until_up(self.proc, self.url, self.timeout, log)
        return self.url

    def stop(self) -> None:
        """End the process (and its workers) if it runs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: whatever the process was doing stops there."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def serving(command: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 45) -> Iterator[str]:
    """Run `command` (a `cunsheng serve --port N ...`) and yield its base URL once `/healthz` answers."""
    served = Served(command, cwd, env, timeout)
    try:
        yield served.start()
    finally:
        served.stop()


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
