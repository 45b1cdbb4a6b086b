"""CHANGELOG.md, where the release notes come from: Keep a Changelog's shape, a section
for the version being built, and `make release-notes` printing one section."""

from __future__ import annotations

import re
import subprocess
import tomllib

from tests.support.paths import ROOT

CHANGELOG = ROOT / "CHANGELOG.md"
HEADING = re.compile(r"^## \[(Unreleased|\d+\.\d+\.\d+)\](?: - (\d{4}-\d{2}-\d{2}))?$")
KINDS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}


def _sections() -> list[str]:
    return [line for line in CHANGELOG.read_text().splitlines() if line.startswith("## ")]


def test_every_section_is_unreleased_or_a_dated_version_newest_first() -> None:
    sections = _sections()

    matches = [HEADING.match(line) for line in sections]
    assert all(matches), sections
    versions = [match.group(1) for match in matches if match]
    assert versions[0] == "Unreleased"
    assert all(match.group(2) for match in matches[1:] if match)
    released = [tuple(int(part) for part in v.split(".")) for v in versions[1:]]
    assert released == sorted(released, reverse=True)
    kinds = {line[4:] for line in CHANGELOG.read_text().splitlines() if line.startswith("### ")}
    assert kinds <= KINDS


def test_the_projects_version_has_a_section() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

    assert any(line.startswith(f"## [{version}] - ") for line in _sections())


def test_make_release_notes_prints_one_section() -> None:
    notes = subprocess.run(
        ["make", "-s", "--no-print-directory", "release-notes", "VERSION=0.1.0"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout

    assert "The first version" in notes
    assert "## [" not in notes
    assert "rollKey` and `updateApiKey` no longer" not in notes
