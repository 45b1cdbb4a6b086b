"""Throughput of one server process for anonymous, session and API-key requests.

Starts `python -m gatehouse serve` on a fresh SQLite file (pinned to core 0 where
`taskset` exists, the load generator on core 1), warms up, then interleaves rounds of each
kind and prints the median requests per second and its ratio to the anonymous baseline.
Every key request also writes its usage counters, so the key/session ratio is the cost of
exact counting. Bounded: ROUNDS x SECONDS per kind.
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


async def _load(url: str, body: dict[str, str], headers: dict[str, str]) -> float:
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
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        return done / (time.perf_counter() - started)


async def measure(port: int) -> None:
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
    await _load(url, QUERY, {"X-API-Key": key})  # warm-up
    results: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(ROUNDS):
        for name, (body, headers) in kinds.items():
            results[name].append(await _load(url, body, headers))

    baseline = statistics.median(results["anonymous { __typename }"])
    print(f"{ROUNDS} rounds x {SECONDS:g} s, {CONCURRENCY} concurrent, one server process")
    for name, rates in results.items():
        median = statistics.median(rates)
        print(f"  {name:30} {median:8.0f} req/s   {median / baseline:5.2f} x anonymous")


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
        asyncio.run(measure(port))
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
