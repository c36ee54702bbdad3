"""Benchmark: the JSON ingest API under concurrent load, `cunsheng serve --workers 2` on PostgreSQL.

Run: .venv/bin/python bench/ingest.py [--runs 3] [--database-url postgresql://postgres@127.0.0.1:5432/test]

Each run creates a fresh PostgreSQL database, writes a 60-question definition (40 single choices of 5,
8 multiple choices of 6, 8 integers 0-150, 4 short texts) into a temporary definitions folder, starts
the server on a free port with rate limits off, and posts, at each concurrency (50, then 200), a
warm-up of 500 responses and then 5,000 timed ones, each with a fresh instance id. It prints ack/s,
p50/p95/p99 latency and the rows stored against the responses acknowledged (201/200), then stops the
server and drops the database. With `--runs N` it prints the median of the N runs.
Targets (issue 9): c=50 >= 250 ack/s with p99 <= 400 ms; c=200 p99 <= 1.5 s; stored == acknowledged.

The client (aiohttp, one pooled connector, bodies encoded before the clock starts) shares the two
cores with the server, so it must stay light: its own CPU time is printed too, and the server's CPU
time per post (its processes, not PostgreSQL's), which shows the cost apart from anything else the
machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parents[1]
CUNSHENG = str(Path(sys.executable).parent / "cunsheng")
UNITS = ROOT / "server" / "data" / "county" / "units.csv"  # the bundled county: its village rows
URL = "/api/v1/surveys/bench/responses"
WARMUP, POSTS, CONCURRENCY = 500, 5000, (50, 200)
TEXTS = ["希望多组织亲子活动", "村里的路灯需要修", "没有意见", "想学电商技能", "希望开办托育班"]


def definition() -> str:
    """The benchmark's questionnaire in YAML: six pages of ten questions."""
    lines = ["name: bench", "title: 压测问卷", "choice_lists:",
             "  five: [" + ", ".join(f"{{code: {i}, label: 选项{i}}}" for i in range(1, 6)) + "]",
             "  six: [" + ", ".join(f"{{code: {i}, label: 项目{i}}}" for i in range(1, 7)) + "]", "pages:"]
    kinds = ([f"{{name: s{i:02d}, kind: single, label: 单选{i}, choices: five}}" for i in range(40)]
             + [f"{{name: m{i}, kind: multiple, label: 多选{i}, choices: six}}" for i in range(8)]
             + [f"{{name: n{i}, kind: integer, label: 整数{i}, min: 0, max: 150}}" for i in range(8)]
             + [f"{{name: t{i}, kind: text, label: 文字{i}, max_length: 50, required: false}}" for i in range(4)])
    for page in range(6):
        lines += [f"  - name: p{page}", f"    title: 第{page + 1}页", "    questions:"]
        lines += [f"      - {q}" for q in kinds[page * 10:(page + 1) * 10]]
    return "\n".join(lines) + "\n"


def village_codes() -> list[str]:
    rows = [line.split(",") for line in UNITS.read_text(encoding="utf-8-sig").splitlines()[1:] if line]
    return [row[0] for row in rows if row[2] == "village"]


def bodies(count: int, villages: list[str], rng: random.Random) -> list[bytes]:
    """`count` valid responses, each with a fresh uuid4 instance id, encoded before any clock starts."""
    out = []
    for _ in range(count):
        answers: dict[str, Any] = {f"s{i:02d}": rng.randint(1, 5) for i in range(40)}
        answers |= {f"m{i}": sorted(rng.sample(range(1, 7), rng.randint(1, 3))) for i in range(8)}
        answers |= {f"n{i}": rng.randint(0, 150) for i in range(8)}
        answers |= {f"t{i}": rng.choice(TEXTS) for i in range(4)}
        body = {"instance_id": str(uuid.uuid4()), "version": 1, "village": rng.choice(villages),
                "answers": answers, "started_at": "2026-05-01T08:00:00+08:00",
                "completed_at": "2026-05-01T08:12:30+08:00"}
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


@dataclass
class Phase:
    concurrency: int
    seconds: float
    latencies: list[float]
    acked: int
    failed: dict[int, int]
    stored: int
    client_cpu: float
    server_cpu: float

    def figures(self) -> dict[str, float]:
        ordered = sorted(self.latencies)
        at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
        return {"ack/s": self.acked / self.seconds, "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
                "acked": self.acked, "stored": self.stored, "client_cpu_s": self.client_cpu,
                "server_ms_per_post": self.server_cpu * 1000 / max(1, len(self.latencies))}


async def _post_all(base: str, payloads: list[bytes], concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    """Post every payload with `concurrency` clients over one pool; (seconds, latencies, statuses)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(payloads)
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
        async def client() -> None:
            for body in queue:
                start = time.perf_counter()
                async with http.post(URL, data=body, headers=headers) as r:
                    await r.read()
                    latencies.append(time.perf_counter() - start)
                    statuses[r.status] = statuses.get(r.status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        return time.perf_counter() - start, latencies, statuses


def stored_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM response WHERE survey = 'bench'").fetchone()
        return int(row[0]) if row else 0


def process_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its descendants (Linux /proc; 0 elsewhere)."""
    try:
        ticks = sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]))
        children = [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                    for c in (t / "children").read_text().split()]
    except OSError:
        return 0.0
    return ticks / os.sysconf("SC_CLK_TCK") + sum(process_cpu(c) for c in children)


def phase(base: str, db_url: str, concurrency: int, rng: random.Random, villages: list[str], pid: int) -> Phase:
    """A warm-up, then the timed posts at one concurrency; counts the rows those posts stored."""
    asyncio.run(_post_all(base, bodies(WARMUP, villages, rng), concurrency))
    payloads = bodies(POSTS, villages, rng)
    before = stored_rows(db_url)
    cpu, server_cpu = resource.getrusage(resource.RUSAGE_SELF), process_cpu(pid)
    seconds, latencies, statuses = asyncio.run(_post_all(base, payloads, concurrency))
    used, server_used = resource.getrusage(resource.RUSAGE_SELF), process_cpu(pid)
    acked = statuses.get(201, 0) + statuses.get(200, 0)
    failed = {s: n for s, n in statuses.items() if s not in (200, 201)}
    return Phase(concurrency, seconds, latencies, acked, failed, stored_rows(db_url) - before,
                 used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime, server_used - server_cpu)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(admin_url: str):  # type: ignore[no-untyped-def]
    """A fresh database on the server of `admin_url`, dropped afterwards."""
    name = f"cunsheng_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def server(db_url: str, folder: Path, workers: int, settings: dict[str, str]):  # type: ignore[no-untyped-def]
    """`cunsheng serve --workers N` on a free port with the bench questionnaire; yields (base URL, pid)."""
    definitions = folder / "definitions"
    definitions.mkdir()
    (definitions / "bench.yaml").write_text(definition(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUNSHENG_")}
    env |= {"CUNSHENG_DATABASE_URL": db_url, "CUNSHENG_DEFINITIONS_DIR": str(definitions),
            "CUNSHENG_SECRET_KEY": "bench", "CUNSHENG_RATE_LIMITS": "off", "CUNSHENG_INSTANCE_DIR": str(folder)} | settings
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([CUNSHENG, "serve", "--workers", str(workers), "--port", str(port)], cwd=folder,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(proc, base, log)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_until_up(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    async def up() -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as r:
                return r.status == 200
        except aiohttp.ClientError:
            return False

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        if asyncio.run(up()):
            return
        time.sleep(0.2)
    raise SystemExit(f"server did not answer within 60 s:\n{log.read_text(errors='replace')}")


def one_run(admin_url: str, workers: int, seed: int, settings: dict[str, str]) -> list[Phase]:
    rng = random.Random(seed)
    villages = village_codes()
    with tempfile.TemporaryDirectory() as tmp, database(admin_url) as db_url, \
            server(db_url, Path(tmp), workers, settings) as (base, pid):
        return [phase(base, db_url, c, rng, villages, pid) for c in CONCURRENCY]


def show(label: str, phase_: Phase | None, figures: dict[str, float]) -> None:
    failed = f"  other statuses {phase_.failed}" if phase_ and phase_.failed else ""
    print(f"{label:<14} {figures['ack/s']:7.1f} ack/s   p50 {figures['p50']:6.0f} ms   p95 {figures['p95']:6.0f} ms"
          f"   p99 {figures['p99']:6.0f} ms   stored {figures['stored']:.0f} / acked {figures['acked']:.0f}"
          f"   server cpu {figures['server_ms_per_post']:.1f} ms/post   client cpu {figures['client_cpu_s']:.1f} s{failed}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs; the median of them is printed (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="server processes (default 2)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL database to connect to while creating and dropping the bench's own")
    parser.add_argument("--set", action="append", default=[], metavar="CUNSHENG_NAME=VALUE",
                        help="a further server setting, e.g. --set CUNSHENG_THREADS=4 (repeatable)")
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.set)
    runs: list[list[Phase]] = []
    for run in range(args.runs):
        phases = one_run(args.database_url, args.workers, seed=run, settings=settings)
        for p in phases:
            show(f"run {run + 1} c={p.concurrency}", p, p.figures())
        runs.append(phases)
    bad = [p for phases in runs for p in phases if p.stored != p.acked or p.failed]
    if args.runs > 1:
        for i, c in enumerate(CONCURRENCY):
            figures = [phases[i].figures() for phases in runs]
            show(f"median c={c}", None, {k: statistics.median(f[k] for f in figures) for k in figures[0]})
    if bad:
        raise SystemExit("stored != acknowledged, or some posts failed (see above)")


if __name__ == "__main__":
    main()
