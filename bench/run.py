"""`make bench`: Gatehouse against the floors of its own stack and a naive peer, in one run.

Seeds a database (users, API keys, a million calls of daily roll-ups), then drives with
wrk, in interleaved rounds: a bare Strawberry app answering `{ hello }` (the floor), the same
app with Strawberry's ParserCache and ValidationCache (the cached floor, the ceiling for a
repeated document), a naive Strawberry + Tortoise app listing 20 keys or users (the peer,
bench/naive_app.py) and one Gatehouse process in production mode on the scenarios below.
The servers run on core 0 and wrk on core 1 where `taskset` exists. Results, as req/s, p50,
p99 and the ratios of req/s to each floor's (and to the peer's for S2 and S4), go to
bench/results/ as Markdown and JSON, with S1-S4 again at 100 connections (tail latency),
S2 and S3 at 10x the keys and calls (growth), and S6: 200 open subscriptions while key
calls run, with the delay from a call to its subscribers' messages (bench/live.py).
V1 is key verification (`POST /v1/keys/verify` of the S1 key with a root key), reported
with its ratios to S1's req/s and p99.

Settings (environment): BENCH_SECONDS (15) per measurement, BENCH_ROUNDS (3),
BENCH_CONNECTIONS (32), BENCH_SCALE (1.0; multiplies the seeded rows), BENCH_DATABASE_URL
(a PostgreSQL server URL; the run uses a database of its own there), BENCH_WORKERS (1),
BENCH_GROWTH (1: also measure S2 and S3 at 10x the keys and calls), BENCH_RESULTS
(bench/results).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench.live import measure_live
from bench.seed import seed

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
MANY_CONNECTIONS = 100
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))
GROWTH = os.environ.get("BENCH_GROWTH", "1") == "1"
RESULTS = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results"))
EMAIL, PASSWORD = "bench-admin@example.com", "benchmark admin password"
USERS, KEYS, CALLS = 1_000, 10_000, 1_000_000

S1 = "{ me { id email } }"
S2 = (
    "{ apiKeys(first: 20) { totalCount nodes { id name maskedKey status lastUsedAt "
    "createdBy { email } } } }"
)
S3 = "{ keyMetrics { totalKeys activeKeys expiredKeys apiCallsToday } }"
S4 = "{ users(first: 20) { nodes { id email roles lastLoginAt } } }"
# V1: another backend verifying the S1 key with a root key (POST /v1/keys/verify).
V1_PATH = "/v1/keys/verify"
LOGIN = 'mutation { login(email: "%s", password: "%s") { token } }'


@dataclass(frozen=True)
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


def _pin(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if shutil.which("taskset") else []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("== installing wrk from Debian's packages", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)  # noqa: S607
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is missing and could not be installed (apt-get install wrk)")
    return found


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: server exited early:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"bench: server did not come up:\n{log.read_text()[-3000:]}")


@contextmanager
def _server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[int]:
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [*_pin(0), *command], env=env, stdout=output, stderr=output, cwd=ROOT
        )
    try:
        if command[-1] == "serve" or "bench.naive_app:app" in command:
            _wait_until_up(port, process, log)
        else:
            _wait_for_port(port, process, log)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench: floor exited early:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit("bench: floor did not come up")


def _wrk(
    wrk: str,
    url: str,
    body: str,
    headers: dict[str, str],
    seconds: float,
    connections: int = CONNECTIONS,
) -> Sample:
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(body)}",
        'wrk.headers["Content-Type"] = "application/json"',
        *(
            f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}"
            for name, value in headers.items()
        ),
    ]
    return _parse_wrk(_wrk_output(wrk, url, "\n".join(lines), seconds, connections))


def _wrk_output(
    wrk: str, url: str, lua_script: str, seconds: float, connections: int = CONNECTIONS
) -> str:
    """wrk's report of `seconds` of load on `url`, its requests made by `lua_script`."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script + "\n")
    try:
        result = subprocess.run(  # noqa: S603
            [
                *_pin(1),
                wrk,
                "-t1",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--latency",
                # wrk's default of 2 s counts slow answers on a busy machine as socket errors.
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    return result.stdout


def _parse_wrk(output: str) -> Sample:
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"bench: wrk saw errors:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        if match is None:
            raise SystemExit(f"bench: no {label}% latency in wrk output:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return Sample(rps=rps, p50_ms=percentile("50"), p99_ms=percentile("99"))


def _graphql(url: str, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = httpx.post(url, json={"query": query}, headers=headers or {}, timeout=30)
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"bench: {query!r} failed: {response.status_code} {body}")
    return body


class _LoginLoop:
    """Another client signing in continuously, one login at a time, while S1 is measured."""

    def __init__(self, url: str) -> None:
        self.url, self.logins, self._stop = url, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                client.post(self.url, json={"query": LOGIN % (EMAIL, PASSWORD)})
                self.logins += 1

    def __enter__(self) -> _LoginLoop:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _verify_once(url: str, body: str, headers: dict[str, str]) -> None:
    response = httpx.post(
        url, content=body, headers={**headers, "Content-Type": "application/json"}, timeout=30
    )
    if response.status_code != 200 or response.json().get("code") != "VALID":
        raise SystemExit(f"bench: {V1_PATH} failed: {response.status_code} {response.text}")


def _database(tmp: Path) -> tuple[str, Any]:
    """A fresh database for this run, and a function that removes it."""
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        return f"sqlite://{tmp}/bench.sqlite3", lambda: None
    import asyncpg  # type: ignore[import-untyped]

    name = f"gatehouse_bench_{os.getpid()}"
    parts = urlsplit(server)
    admin_url = urlunsplit(parts._replace(scheme="postgresql"))

    async def create_or_drop(sql: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(create_or_drop(f'CREATE DATABASE "{name}"'))
    url = urlunsplit(parts._replace(path=f"/{name}"))
    return url, lambda: asyncio.run(
        create_or_drop(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    )


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def _summary(samples: list[Sample]) -> Sample:
    return Sample(
        rps=statistics.median(s.rps for s in samples),
        p50_ms=statistics.median(s.p50_ms for s in samples),
        p99_ms=statistics.median(s.p99_ms for s in samples),
    )


def main() -> None:
    wrk = _ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    database_url, drop_database = _database(tmp)
    log = tmp / "servers.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GATEHOUSE_ENV": "production",
        "WORKERS": str(WORKERS),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    env.pop("ADMIN_EMAIL", None)
    env.pop("ADMIN_PASSWORD", None)
    scale = {
        "users": int(USERS * SCALE),
        "keys": int(KEYS * SCALE),
        "calls": int(CALLS * SCALE),
    }
    try:
        subprocess.run(
            [sys.executable, "-m", "gatehouse", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "gatehouse", "create-user", "--email", EMAIL],
            input=PASSWORD + "\n",
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        started = time.monotonic()
        asyncio.run(seed(database_url, **scale))
        print(f"== seeded {scale} in {time.monotonic() - started:.0f} s", flush=True)

        ports = {name: _free_port() for name in ("floor", "cached", "naive", "gatehouse")}

        def uvicorn(app: str, port: int) -> list[str]:
            return [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--port",
                str(port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
                "--no-access-log",
            ]

        port = ports["gatehouse"]
        with (
            _server(uvicorn("bench.floor_app:app", ports["floor"]), env, ports["floor"], log),
            _server(
                uvicorn("bench.floor_app:cached_app", ports["cached"]), env, ports["cached"], log
            ),
            _server(uvicorn("bench.naive_app:app", ports["naive"]), env, ports["naive"], log),
            _server(
                [sys.executable, "-m", "gatehouse", "serve"], {**env, "PORT": str(port)}, port, log
            ),
        ):
            result = _measure(wrk, ports)
        if GROWTH:
            grown = {name: value * 9 for name, value in scale.items() if name != "users"}
            started = time.monotonic()
            asyncio.run(seed(database_url, users=0, **grown))
            print(f"== grew by {grown} in {time.monotonic() - started:.0f} s", flush=True)
            with _server(
                [sys.executable, "-m", "gatehouse", "serve"], {**env, "PORT": str(port)}, port, log
            ):
                result["growth"] = _measure_growth(wrk, port, result)
    finally:
        drop_database()
        shutil.rmtree(tmp, ignore_errors=True)

    result |= {
        "machine": _machine(),
        "database": "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite",
        "workers": WORKERS,
        "seeded": scale,
        "method": (
            f"wrk -t1 -c{CONNECTIONS} -d{SECONDS:g}s, {ROUNDS} interleaved rounds, medians; "
            "servers pinned to core 0, wrk to core 1; Gatehouse in production mode"
        ),
    }
    _write(result)


def _measure(wrk: str, ports: dict[str, int]) -> dict[str, Any]:
    url = f"http://127.0.0.1:{ports['gatehouse']}/graphql"
    naive_url = f"http://127.0.0.1:{ports['naive']}/graphql"
    token = _graphql(url, LOGIN % (EMAIL, PASSWORD))["data"]["login"]["token"]
    session = {"Authorization": f"Bearer {token}"}
    created = _graphql(
        url, 'mutation { createApiKey(input: {name: "bench", scopes: [READ]}) { secret } }', session
    )
    key = {"X-API-Key": created["data"]["createApiKey"]["secret"]}
    root = _graphql(
        url,
        'mutation { createApiKey(input: {name: "root", scopes: [VERIFY]}) { secret } }',
        session,
    )["data"]["createApiKey"]["secret"]
    verify_url = f"http://127.0.0.1:{ports['gatehouse']}{V1_PATH}"
    verify_body = json.dumps({"key": key["X-API-Key"], "operation": "bench"})
    verify_headers = {"Authorization": f"Bearer {root}"}
    _verify_once(verify_url, verify_body, verify_headers)
    references = {
        "floor": (f"http://127.0.0.1:{ports['floor']}/graphql", "{ hello }", {}),
        "floor_cached": (f"http://127.0.0.1:{ports['cached']}/graphql", "{ hello }", {}),
        "naive_S2": (naive_url, S2, key),
        "naive_S4": (naive_url, S4, key),
    }
    scenarios = {
        "S1": (url, S1, key),
        "S2": (url, S2, key),
        "S3": (url, S3, key),
        "S4": (url, S4, session),
    }
    for target, query, headers in [*references.values(), *scenarios.values()]:
        _graphql(target, query, headers)
        _wrk(wrk, target, json.dumps({"query": query}), headers, min(SECONDS, 3))  # warm-up

    _wrk(wrk, verify_url, verify_body, verify_headers, min(SECONDS, 3))  # warm-up

    every = {**references, **scenarios}
    samples: dict[str, list[Sample]] = {name: [] for name in [*every, "S5", "V1"]}
    for round_number in range(1, ROUNDS + 1):
        for name, (target, query, headers) in every.items():
            samples[name].append(_wrk(wrk, target, json.dumps({"query": query}), headers, SECONDS))
        samples["V1"].append(_wrk(wrk, verify_url, verify_body, verify_headers, SECONDS))
        with _LoginLoop(url) as logins:
            samples["S5"].append(_wrk(wrk, url, json.dumps({"query": S1}), key, SECONDS))
        print(
            f"== round {round_number}/{ROUNDS} done ({logins.logins} logins during S5)", flush=True
        )

    medians = {name: _summary(values) for name, values in samples.items()}
    floor_rps, cached_rps = medians["floor"].rps, medians["floor_cached"].rps
    rows = {name: _row(medians[name], floor_rps, cached_rps) for name in [*scenarios, "S5", "V1"]}
    # The verification targets: at least 1.5x S1's throughput, p99 under 2x S1's.
    rows["V1"]["ratio_s1"] = round(medians["V1"].rps / medians["S1"].rps, 2)
    rows["V1"]["p99_over_s1"] = round(medians["V1"].p99_ms / medians["S1"].p99_ms, 2)
    for name in ("S2", "S4"):
        rows[name]["naive_rps"] = round(medians[f"naive_{name}"].rps, 1)
        rows[name]["ratio_naive"] = round(medians[name].rps / medians[f"naive_{name}"].rps, 2)
    return {
        "floor_rps": round(floor_rps, 1),
        "floor_cached_rps": round(cached_rps, 1),
        "floor": _row(medians["floor"], floor_rps, cached_rps),
        "floor_cached": _row(medians["floor_cached"], floor_rps, cached_rps),
        "naive": {
            name[-2:]: _row(medians[name], floor_rps, cached_rps)
            for name in references
            if name.startswith("naive")
        },
        "scenarios": rows,
        "many_connections": _measure_many_connections(wrk, scenarios),
        "S6": _measure_subscriptions(wrk, url, token, key),
        "key": key,
    }


def _measure_subscriptions(wrk: str, url: str, token: str, key: dict[str, str]) -> dict[str, Any]:
    """S6 (bench/live.py) while wrk keeps S1's key calls running."""
    load = threading.Thread(
        target=_wrk, args=(wrk, url, json.dumps({"query": S1}), key, max(SECONDS, 20)), daemon=True
    )
    load.start()
    try:
        return measure_live(url.removesuffix("/graphql"), token)
    finally:
        load.join()


def _measure_many_connections(
    wrk: str, scenarios: dict[str, tuple[str, str, dict[str, str]]]
) -> dict[str, dict[str, float | None]]:
    """Tail latency with many clients at once: each scenario once at 100 connections."""
    result = {}
    for name, (target, query, headers) in scenarios.items():
        # At least 3 s: a 1 s smoke run may see no answer complete at 100 connections.
        seconds = max(SECONDS, 3)
        sample = _wrk(wrk, target, json.dumps({"query": query}), headers, seconds, MANY_CONNECTIONS)
        result[name] = {
            "connections": MANY_CONNECTIONS,
            "rps": round(sample.rps, 1),
            "p50_ms": round(sample.p50_ms, 2),
            "p99_ms": round(sample.p99_ms, 2),
            # No answer at all leaves no median to compare with.
            "p99_over_p50": round(sample.p99_ms / sample.p50_ms, 2) if sample.p50_ms else None,
        }
    return result


def _measure_growth(wrk: str, port: int, base: dict[str, Any]) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}/graphql"
    key = base.pop("key")
    samples: dict[str, list[Sample]] = {"S2": [], "S3": []}
    for query in (S2, S3):
        _graphql(url, query, key)
        _wrk(wrk, url, json.dumps({"query": query}), key, min(SECONDS, 3))
    for _ in range(ROUNDS):
        for name, query in (("S2", S2), ("S3", S3)):
            samples[name].append(_wrk(wrk, url, json.dumps({"query": query}), key, SECONDS))
    grown = {}
    for name, values in samples.items():
        median = _summary(values)
        before = base["scenarios"][name]
        grown[name] = {
            "rps": round(median.rps, 1),
            "p50_ms": round(median.p50_ms, 2),
            "p99_ms": round(median.p99_ms, 2),
            "p50_growth": round(median.p50_ms / before["p50_ms"], 2),
        }
    return grown


def _row(sample: Sample, floor_rps: float, cached_rps: float) -> dict[str, float]:
    return {
        "rps": round(sample.rps, 1),
        "p50_ms": round(sample.p50_ms, 2),
        "p99_ms": round(sample.p99_ms, 2),
        "ratio": round(sample.rps / floor_rps, 2),
        "ratio_cached": round(sample.rps / cached_rps, 2),
    }


def _write(result: dict[str, Any]) -> None:
    result.pop("key", None)
    suffix = (
        ""
        if result["database"] == "sqlite" and WORKERS == 1
        else (f"-{result['database']}-w{WORKERS}")
    )
    (RESULTS / f"latest{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    s1_p99 = result["scenarios"]["S1"]["p99_ms"]

    def cells(*values: object) -> str:
        return "| " + " | ".join(str(value) for value in values) + " |"

    lines = [
        f"# Benchmark: {result['database']}, {WORKERS} worker(s)",
        "",
        f"Machine: {result['machine']}. Method: {result['method']}.",
        f"Seeded: {result['seeded']}.",
        "",
        "Ratios are req/s over the floor's (bare Strawberry, parsing and validating every "
        "request), over the cached floor's (the same with ParserCache and ValidationCache) "
        "and, for S2 and S4, over the naive peer's (Strawberry + Tortoise, same listing).",
        "",
        "| scenario | req/s | p50 ms | p99 ms | ratio | ratio_cached | ratio_naive |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    references = [
        ("floor `{ hello }`", result["floor"]),
        ("cached floor `{ hello }`", result["floor_cached"]),
        *((f"naive peer, {name}'s listing", row) for name, row in result["naive"].items()),
    ]
    for label, row in references:
        lines.append(
            cells(
                label,
                row["rps"],
                row["p50_ms"],
                row["p99_ms"],
                row["ratio"],
                row["ratio_cached"],
                "",
            )
        )
    for name, row in result["scenarios"].items():
        lines.append(
            cells(
                name,
                row["rps"],
                row["p50_ms"],
                row["p99_ms"],
                row["ratio"],
                row["ratio_cached"],
                row.get("ratio_naive", ""),
            )
        )
    lines += ["", f"S5 p99 / S1 p99: {result['scenarios']['S5']['p99_ms'] / s1_p99:.2f}"]
    v1 = result["scenarios"]["V1"]
    lines += [
        "",
        f"V1 (POST {V1_PATH}) req/s / S1 req/s: {v1['ratio_s1']:.2f} (target >= 1.5); "
        f"V1 p99 / S1 p99: {v1['p99_over_s1']:.2f} (target < 2)",
    ]
    lines += [
        "",
        f"At {MANY_CONNECTIONS} connections (one measurement each):",
        "",
        "| scenario | req/s | p50 ms | p99 ms | p99 / p50 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in result["many_connections"].items():
        lines.append(cells(name, row["rps"], row["p50_ms"], row["p99_ms"], row["p99_over_p50"]))
    live = result["S6"]
    lines += [
        "",
        f"S6: {live['subscriptions']} open subscriptions while S1's key calls run; from a "
        f"call to its subscribers' messages ({live['messages_timed']} timed): "
        f"p50 {live['delay_p50_ms']} ms, p99 {live['delay_p99_ms']} ms.",
    ]
    if "growth" in result:
        lines += [
            "",
            "At 10x the keys and calls:",
            "",
            "| scenario | req/s | p50 ms | p99 ms | p50 growth |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, row in result["growth"].items():
            lines.append(cells(name, row["rps"], row["p50_ms"], row["p99_ms"], row["p50_growth"]))
    text = "\n".join(lines) + "\n"
    (RESULTS / f"latest{suffix}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
