"""GraphiQL served from Gatehouse itself: the page, its bootstrap script and the pinned npm
assets that `make install` puts in playground/node_modules, or that a wheel carries as
package data (gatehouse/graphiql/, copied there by setup.py). Nothing is loaded from a CDN,
so the playground works offline, and the page keeps nothing the user types (see
playground.js)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from gatehouse.playground_files import (
    ASSET_FILES,
    NOT_INSTALLED_PAGE,
    PACKAGED_DIRECTORY,
    PAGE,
)

_PACKAGED_DIR = Path(__file__).resolve().parent / PACKAGED_DIRECTORY
_CHECKOUT_DIR = Path(__file__).resolve().parent.parent / "playground"
# An installed wheel carries its own copy; a checkout (an editable install too) serves
# playground/ itself.
PLAYGROUND_DIR = _PACKAGED_DIR if (_PACKAGED_DIR / PAGE).is_file() else _CHECKOUT_DIR
ASSETS_PATH = "/graphql/assets"

# GraphiQL's stylesheet embeds its fonts and icons as data: URLs, and its editors and menus
# (CodeMirror, Radix) add <style> elements at run time: hence data: fonts/images and inline
# styles. Scripts come only from this origin, and only from files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
# Revalidated on every load (ETag / Last-Modified): cheap on a development server, and an
# upgrade by `make install` shows at once.
_ASSET_CACHE_CONTROL = "no-cache"

_CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Served name -> (file under PLAYGROUND_DIR, content type).
ASSETS: dict[str, tuple[Path, str]] = {
    name: (Path(path), _CONTENT_TYPES[path.suffix]) for name, path in ASSET_FILES.items()
}
# For a playground directory missing altogether: a page must still say what is wrong.
_NOT_INSTALLED_FALLBACK = (
    "<!doctype html><title>GraphiQL is not installed</title>"
    "<p>GraphiQL's files are missing: run <code>make install</code>.</p>"
)


class Playground:
    def __init__(self, directory: Path = PLAYGROUND_DIR) -> None:
        self.directory = directory

    def missing_assets(self) -> list[str]:
        return [name for name, (path, _) in ASSETS.items() if not (self.directory / path).is_file()]

    def page(self) -> Response:
        if self.missing_assets() or not (self.directory / PAGE).is_file():
            # Said on the page rather than a blank "Loading…": the user learns the one command.
            not_installed = self.directory / NOT_INSTALLED_PAGE
            html = (
                not_installed.read_text(encoding="utf-8")
                if not_installed.is_file()
                else _NOT_INSTALLED_FALLBACK
            )
            return HTMLResponse(html, status_code=503, headers=_PAGE_HEADERS)
        html = (self.directory / PAGE).read_text(encoding="utf-8")
        return HTMLResponse(html, headers=_PAGE_HEADERS)

    async def asset(self, request: Request) -> Response:
        entry = ASSETS.get(request.path_params["name"])
        if entry is None or not (self.directory / entry[0]).is_file():
            return PlainTextResponse("Not Found", status_code=404)
        path, media_type = entry
        return FileResponse(
            self.directory / path,
            media_type=media_type,
            headers={"Cache-Control": _ASSET_CACHE_CONTROL},
        )

    def routes(self) -> list[Route]:
        return [Route(ASSETS_PATH + "/{name}", self.asset, methods=["GET", "HEAD"])]
