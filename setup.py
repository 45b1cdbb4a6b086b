"""The one build step pyproject.toml cannot say: GraphiQL's files (playground/, with the
pinned npm packages `make install` puts in playground/node_modules) go into the wheel as
package data under gatehouse/graphiql/, and the portal's build (portal/dist, written by
`make install`) under gatehouse/portal_dist/, so an installed wheel serves both."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PLAYGROUND = ROOT / "playground"


def _load(name: str) -> ModuleType:
    # Loaded by path: importing the package would import its dependencies, which the
    # build's environment does not have.
    spec = importlib.util.spec_from_file_location(f"_{name}", ROOT / "gatehouse" / f"{name}.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"building Gatehouse: gatehouse/{name}.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithGraphiQL(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install serves playground/ from the checkout
            return
        files = _load("playground_files")
        missing = [str(path) for path in files.ALL_FILES if not (PLAYGROUND / path).is_file()]
        if missing:
            raise SystemExit(
                "building Gatehouse: GraphiQL's files are missing ("
                + ", ".join(missing)
                + "); run `make playground-assets` (npm ci in playground/) first"
            )
        target = Path(self.build_lib) / "gatehouse" / files.PACKAGED_DIRECTORY
        # build/ outlives a build: no file dropped from the list may linger in the next wheel.
        shutil.rmtree(target, ignore_errors=True)
        for path in files.ALL_FILES:
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PLAYGROUND / path, target / path)
        self._copy_portal()

    def _copy_portal(self) -> None:
        portal = _load("portal_files")
        built = ROOT / portal.BUILD_DIRECTORY
        if not (built / portal.PAGE).is_file() or not (built / portal.MANIFEST).is_file():
            raise SystemExit(
                f"building Gatehouse: the portal is not built ({portal.BUILD_DIRECTORY} is "
                "missing); run `make portal` (npm ci and npm run build in portal/) first"
            )
        target = Path(self.build_lib) / "gatehouse" / portal.PACKAGED_DIRECTORY
        shutil.rmtree(target, ignore_errors=True)
        # The build's own files, not the stamp `make` leaves there.
        shutil.copytree(built, target, ignore=shutil.ignore_patterns(".*"))


setup(cmdclass={"build_py": BuildPyWithGraphiQL})
