"""Cost of anonymous, session and API-key requests to one server process.

Starts `python -m gatehouse serve` on a fresh SQLite file (pinned to core 0 where
`taskset` exists, the load generator on core 1), warms up, then interleaves rounds of each
kind. It reports the median requests per second and, because a Python load generator on
one core may saturate before the server does, the server's own CPU time per request
(from /proc, SQLite's thread included), each with its ratio to the anonymous baseline.
Every key request also writes its usage counters, so key/session is the cost of exact
counting. Bounded: ROUNDS x SECONDS per kind.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
EMAIL, PASSWORD = "bench@example.com", "benchmark password"
QUERY = {"query": "{ me { id email } }"}
ANONYMOUS = {"query": "{ __typename }"}


def _pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") and os.cpu_count() else []


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(
    url: str, body: dict[str, str], headers: dict[str, str], pid: int
) -> tuple[float, float]:
    """Requests per second, and server CPU microseconds per request."""
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            response = await client.post(url, json=body, headers=headers)
            if response.status_code != 200 or "errors" in response.json():
                raise SystemExit(f"bench request failed: {response.text}")
            done += 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started, cpu_before = time.perf_counter(), _cpu_seconds(pid)
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds(pid) - cpu_before
        return done / elapsed, cpu / done * 1e6


async def measure(port: int, pid: int) -> None:
    url = f"http://127.0.0.1:{port}/graphql"
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(200):
            try:
                await client.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        login = await client.post(
            url,
            json={
                "query": f'mutation {{ login(email: "{EMAIL}", password: "{PASSWORD}") '
                "{ token } }"
            },
        )
        token = login.json()["data"]["login"]["token"]
        created = await client.post(
            url,
            json={
                "query": 'mutation { createApiKey(input: {name: "bench", scopes: [READ]}) '
                "{ secret } }"
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        key = created.json()["data"]["createApiKey"]["secret"]

    kinds = {
        "anonymous { __typename }": (ANONYMOUS, {}),
        "session   { me }": (QUERY, {"Authorization": f"Bearer {token}"}),
        "api key   { me } + counting": (QUERY, {"X-API-Key": key}),
    }
    await _load(url, QUERY, {"X-API-Key": key}, pid)  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in kinds}
    costs: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(ROUNDS):
        for name, (body, headers) in kinds.items():
            rate, cost = await _load(url, body, headers, pid)
            rates[name].append(rate)
            costs[name].append(cost)

    base_rate = statistics.median(rates["anonymous { __typename }"])
    base_cost = statistics.median(costs["anonymous { __typename }"])
    print(f"{ROUNDS} rounds x {SECONDS:g} s, {CONCURRENCY} concurrent, one server process")
    print(f"  {'':30} {'req/s':>8} {'ratio':>6}   {'server CPU/req':>14} {'ratio':>6}")
    for name in kinds:
        rate, cost = statistics.median(rates[name]), statistics.median(costs[name])
        print(
            f"  {name:30} {rate:8.0f} {rate / base_rate:6.2f}   "
            f"{cost:11.0f} µs {cost / base_cost:6.2f}"
        )


def main() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = tempfile.mkdtemp(prefix="gatehouse-bench-")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{data}/bench.sqlite3",
        "PORT": str(port),
        "ADMIN_EMAIL": EMAIL,
        "ADMIN_PASSWORD": PASSWORD,
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*_pin(0), sys.executable, "-m", "gatehouse", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        asyncio.run(measure(port, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
