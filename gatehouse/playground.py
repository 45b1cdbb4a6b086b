"""GraphiQL served from Gatehouse itself: the page, its bootstrap script and the pinned npm
assets that `make install` puts in playground/node_modules. Nothing is loaded from a CDN, so
the playground works offline, and the page keeps nothing the user types (see playground.js)."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

PLAYGROUND_DIR = Path(__file__).resolve().parent.parent / "playground"
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

_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
_NPM = Path("node_modules")
# Served name -> (file under PLAYGROUND_DIR, content type). Only these files are served:
# never node_modules as a directory.
ASSETS: dict[str, tuple[Path, str]] = {
    "react.production.min.js": (_NPM / "react/umd/react.production.min.js", _JS),
    "react-dom.production.min.js": (_NPM / "react-dom/umd/react-dom.production.min.js", _JS),
    "graphiql.min.js": (_NPM / "graphiql/graphiql.min.js", _JS),
    "graphiql.min.css": (_NPM / "graphiql/graphiql.min.css", _CSS),
    "plugin-explorer.umd.js": (_NPM / "@graphiql/plugin-explorer/dist/index.umd.js", _JS),
    "plugin-explorer.css": (_NPM / "@graphiql/plugin-explorer/dist/style.css", _CSS),
    "playground.js": (Path("playground.js"), _JS),
    "playground.css": (Path("playground.css"), _CSS),
}


class Playground:
    def __init__(self, directory: Path = PLAYGROUND_DIR) -> None:
        self.directory = directory

    def missing_assets(self) -> list[str]:
        return [name for name, (path, _) in ASSETS.items() if not (self.directory / path).is_file()]

    def page(self) -> Response:
        if self.missing_assets():
            # Said on the page rather than a blank "Loading…": the user learns the one command.
            html = (self.directory / "not-installed.html").read_text(encoding="utf-8")
            return HTMLResponse(html, status_code=503, headers=_PAGE_HEADERS)
        html = (self.directory / "index.html").read_text(encoding="utf-8")
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
