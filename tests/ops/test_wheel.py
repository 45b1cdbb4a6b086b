"""The wheel built from the project carries GraphiQL's files as package data, so an
installed wheel (pipx, pip) serves the playground without a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from gatehouse.playground_files import ALL_FILES, PACKAGED_DIRECTORY
from gatehouse.portal_files import MANIFEST, PAGE
from gatehouse.portal_files import PACKAGED_DIRECTORY as PORTAL_DIRECTORY
from tests.support.paths import ROOT


def test_the_wheel_carries_graphiql_and_the_license(tmp_path: Path) -> None:
    built = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr

    (wheel,) = tmp_path.glob("gatehouse-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"gatehouse/{PACKAGED_DIRECTORY}/{path}" for path in ALL_FILES}
    assert expected <= names
    assert "gatehouse/playground_files.py" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    # The portal's build, with its trusted-documents manifest.
    assert {
        f"gatehouse/{PORTAL_DIRECTORY}/{PAGE}",
        f"gatehouse/{PORTAL_DIRECTORY}/{MANIFEST}",
    } <= names
    assert any(name.startswith(f"gatehouse/{PORTAL_DIRECTORY}/assets/") for name in names)
    assert not any(name.startswith(f"gatehouse/{PORTAL_DIRECTORY}/.") for name in names)
    # Nothing else of node_modules: only the files the server serves.
    assert not {name for name in names if "node_modules" in name} - expected
