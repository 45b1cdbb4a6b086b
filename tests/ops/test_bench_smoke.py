"""A seconds-long run of `make bench` on a tiny seed: the harness works end to end."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT


@pytest.mark.skipif(
    shutil.which("wrk") is None and os.environ.get("CI") != "true",
    reason="BENCH SMOKE NOT RUN: wrk is not installed (apt-get install wrk); CI installs it",
)
def test_benchmark_runs_every_scenario_and_writes_its_results(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "BENCH_SCALE": "0.002",
        "BENCH_SECONDS": "1",
        "BENCH_ROUNDS": "1",
        "BENCH_CONNECTIONS": "4",
        "BENCH_RESULTS": str(tmp_path),
    }
    env.pop("BENCH_DATABASE_URL", None)
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "bench.run"],
            cwd=ROOT,
            env=env,
            check=False,
            timeout=300,
            capture_output=True,
            text=True,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"the benchmark ran past {exc.timeout} s:\n{_text(exc.stdout)}{_text(exc.stderr)}"
        )
    # The benchmark's own words when it fails, not only its exit status.
    assert finished.returncode == 0, finished.stdout + finished.stderr
    result = json.loads((tmp_path / "latest.json").read_text())
    assert result["floor_rps"] > 0
    assert set(result["scenarios"]) == {"S1", "S2", "S3", "S4", "S5"}
    assert all(
        row["rps"] > 0 and row["p99_ms"] >= row["p50_ms"] for row in result["scenarios"].values()
    )
    assert set(result["growth"]) == {"S2", "S3"}
    assert "| S2 |" in (tmp_path / "latest.md").read_text()


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""
