"""`python -m gatehouse` as an operator runs it, on a temp SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import ROOT


@dataclass
class Gatehouse:
    """`python -m gatehouse` in a fresh directory (so no stray `.env`), on a temp SQLite
    file, with Argon2 parameters cheap enough for a test."""

    cwd: Path
    environ: dict[str, str]

    @classmethod
    def on_sqlite(cls, cwd: Path, database_file: Path) -> Gatehouse:
        return cls(
            cwd=cwd,
            environ={
                "PATH": os.environ["PATH"],
                "PYTHONPATH": str(ROOT),
                "DATABASE_URL": f"sqlite://{database_file}",
                "ARGON2_TIME_COST": "1",
                "ARGON2_MEMORY_COST_KIB": "64",
                "ARGON2_PARALLELISM": "1",
            },
        )

    def __call__(
        self, *args: str, stdin: str = "", **environ: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "gatehouse", *args],
            cwd=self.cwd,
            env={**self.environ, **environ},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


def rows(database_file: Path, query: str, *parameters: object) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database_file)) as connection:
        return connection.execute(query, parameters).fetchall()
