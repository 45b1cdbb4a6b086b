"""One hot key: Gatehouse with several worker processes on PostgreSQL, every request with the
same API key, against the same load spread over many keys; then the counts are checked.

Every counted call is an increment of its key's row, so one key's row is where concurrent
requests of several processes would queue on PostgreSQL's row lock. Group commit writes the
row once per batch of calls, whatever the batch size; this measures what is left.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python -m bench.hot_key

Settings: BENCH_DATABASE_URL (required: a PostgreSQL server; the run uses a database of its
own there), BENCH_WORKERS (2), BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_KEYS (100,
at most).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import (
    CONNECTIONS,
    EMAIL,
    LOGIN,
    PASSWORD,
    ROOT,
    S1,
    _database,
    _ensure_wrk,
    _free_port,
    _graphql,
    _parse_wrk,
    _server,
    _wrk_output,
)

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
KEYS = min(int(os.environ.get("BENCH_KEYS", "100")), 100)  # one page of `apiKeys`
TOTALS = "{ apiKeys(first: 100) { nodes { name totalCalls } } keyMetrics { apiCallsToday } }"


def _script(keys: list[str]) -> str:
    body = json.dumps({"query": S1})
    return "\n".join(
        [
            'wrk.method = "POST"',
            f"wrk.body = {json.dumps(body)}",
            'wrk.headers["Content-Type"] = "application/json"',
            "keys = {" + ", ".join(json.dumps(key) for key in keys) + "}",
            "counter = 0",
            "request = function()",
            "  counter = counter + 1",
            '  wrk.headers["X-API-Key"] = keys[(counter % #keys) + 1]',
            "  return wrk.format()",
            "end",
        ]
    )


def _run_wrk(wrk: str, url: str, keys: list[str]) -> dict[str, float]:
    output = _wrk_output(wrk, url, _script(keys), SECONDS)
    sample = _parse_wrk(output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    return {"rps": sample.rps, "p50_ms": sample.p50_ms, "p99_ms": sample.p99_ms, "n": requests}


def main() -> None:
    if not os.environ.get("BENCH_DATABASE_URL"):
        raise SystemExit("bench.hot_key: set BENCH_DATABASE_URL to a PostgreSQL server")
    wrk = _ensure_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="gatehouse-hot-key-"))
    database_url, drop_database = _database(tmp)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GATEHOUSE_ENV": "production",
        "WORKERS": str(WORKERS),
        "LOG_LEVEL": "WARNING",
    }
    port = _free_port()
    env["PORT"] = str(port)
    try:
        subprocess.run(
            [sys.executable, "-m", "gatehouse", "migrate"], env=env, cwd=ROOT, check=True
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
        with _server([sys.executable, "-m", "gatehouse", "serve"], env, port, tmp / "log"):
            result = _measure(wrk, f"http://127.0.0.1:{port}/graphql")
    finally:
        drop_database()
    print(json.dumps(result, indent=2))


def _measure(wrk: str, url: str) -> dict[str, Any]:
    token = _graphql(url, LOGIN % (EMAIL, PASSWORD))["data"]["login"]["token"]
    session = {"Authorization": f"Bearer {token}"}
    keys = [
        _graphql(
            url,
            f'mutation {{ createApiKey(input: {{name: "k{number}", scopes: [READ]}}) '
            "{ secret } }",
            session,
        )["data"]["createApiKey"]["secret"]
        for number in range(KEYS)
    ]
    _run_wrk(wrk, url, keys[1:])  # warm-up, on the spread keys only
    time.sleep(1)
    before = _totals(url, session)
    hot = _run_wrk(wrk, url, keys[:1])
    spread = _run_wrk(wrk, url, keys[1:])
    after = _totals(url, session)
    hot_counted = after["calls"]["k0"] - before["calls"]["k0"]
    spread_counted = sum(after["calls"].values()) - sum(before["calls"].values()) - hot_counted
    return {
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "hot_key": hot | {"counted": hot_counted},
        f"spread_over_{KEYS - 1}_keys": spread | {"counted": spread_counted},
        "apiCallsToday_grew_by": after["today"] - before["today"],
        # wrk's count includes requests cut at the end of its run: counted ones answered late.
        "note": "counted >= wrk's n: wrk drops answers still in flight when it stops",
    }


def _totals(url: str, session: dict[str, str]) -> dict[str, Any]:
    data = _graphql(url, TOTALS, session)["data"]
    return {
        "calls": {node["name"]: node["totalCalls"] for node in data["apiKeys"]["nodes"]},
        "today": data["keyMetrics"]["apiCallsToday"],
    }


if __name__ == "__main__":
    main()
