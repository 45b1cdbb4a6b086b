"""The admin portal (Users & API Keys) served at /portal/ from its build: the static files
that `make install` writes to portal/dist (or that a wheel carries as package data,
gatehouse/portal_dist/). The portal is a client of the public GraphQL API on this same
origin and nothing else, so its pages get a strict policy: scripts and styles from files of
this origin only, requests to this origin only, no framing."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from gatehouse.portal_files import BUILD_DIRECTORY, MANIFEST, PACKAGED_DIRECTORY, PAGE

_PACKAGED_DIR = Path(__file__).resolve().parent / PACKAGED_DIRECTORY
_CHECKOUT_DIR = Path(__file__).resolve().parent.parent / BUILD_DIRECTORY
# An installed wheel carries its own build; a checkout (an editable install too) serves
# portal/dist itself.
PORTAL_DIR = _PACKAGED_DIR if (_PACKAGED_DIR / PAGE).is_file() else _CHECKOUT_DIR
PORTAL_PATH = "/portal/"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # The page's empty icon (`data:,`), which keeps browsers from asking for /favicon.ico.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"}
# The build names its scripts and styles by their content's hash: a name never changes
# meaning, so browsers may keep them.
_HASHED_ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
_NOT_BUILT = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>The portal is not built</title>"
    "<h1>The portal is not built</h1>"
    "<p>Gatehouse serves the portal from <code>portal/dist</code>, which is missing. Run "
    "<code>make install</code> (it runs <code>npm ci</code> and <code>npm run build</code> in "
    "<code>portal/</code>), then reload. The GraphQL API at <code>/graphql</code> works "
    "without it; <code>PORTAL_ENABLED=false</code> turns the portal off.</p></html>"
)


class Portal:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else PORTAL_DIR

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST

    def is_built(self) -> bool:
        return (self.directory / PAGE).is_file()

    async def page(self, _: Request) -> Response:
        if not self.is_built():
            # A clear page rather than a 500 or a blank one: the operator learns the command.
            return HTMLResponse(_NOT_BUILT, status_code=503, headers=_PAGE_HEADERS)
        return FileResponse(self.directory / PAGE, media_type="text/html", headers=_PAGE_HEADERS)

    async def file(self, request: Request) -> Response:
        path = self._existing_file(request.path_params["path"])
        if path is None:
            return PlainTextResponse("Not Found", status_code=404)
        if path.name == PAGE:
            return await self.page(request)
        hashed = path.parent.name == "assets"
        headers = {"Cache-Control": _HASHED_ASSET_CACHE_CONTROL if hashed else "no-cache"}
        return FileResponse(path, headers=headers)

    def _existing_file(self, relative: str) -> Path | None:
        # Only files inside the build: no `..`, no hidden files, no directories.
        parts = relative.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        root = self.directory.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    def routes(self) -> list[Route]:
        async def to_portal(_: Request) -> Response:
            return RedirectResponse(PORTAL_PATH, status_code=307)

        return [
            Route("/", to_portal, methods=["GET", "HEAD"]),
            Route("/portal", to_portal, methods=["GET", "HEAD"]),
            Route(PORTAL_PATH, self.page, methods=["GET", "HEAD"]),
            Route(PORTAL_PATH + "{path:path}", self.file, methods=["GET", "HEAD"]),
        ]
