"""Which files make up GraphiQL, relative to the playground directory: read by the server
(gatehouse/playground.py) and by setup.py, which copies them into the wheel. Standard
library only, since setup.py loads this file in the build's own environment."""

from __future__ import annotations

from pathlib import PurePosixPath

_NPM = PurePosixPath("node_modules")
# Served name -> file. Only these files are served: never node_modules as a directory.
ASSET_FILES: dict[str, PurePosixPath] = {
    "react.production.min.js": _NPM / "react/umd/react.production.min.js",
    "react-dom.production.min.js": _NPM / "react-dom/umd/react-dom.production.min.js",
    "graphiql.min.js": _NPM / "graphiql/graphiql.min.js",
    "graphiql.min.css": _NPM / "graphiql/graphiql.min.css",
    "plugin-explorer.umd.js": _NPM / "@graphiql/plugin-explorer/dist/index.umd.js",
    "plugin-explorer.css": _NPM / "@graphiql/plugin-explorer/dist/style.css",
    # The graphql-transport-ws client (the `graphql-ws` package, despite its name) for
    # subscriptions.
    "graphql-ws.min.js": _NPM / "graphql-ws/umd/graphql-ws.min.js",
    "playground.js": PurePosixPath("playground.js"),
    "playground.css": PurePosixPath("playground.css"),
}
PAGE = PurePosixPath("index.html")
NOT_INSTALLED_PAGE = PurePosixPath("not-installed.html")
ALL_FILES = (PAGE, NOT_INSTALLED_PAGE, *ASSET_FILES.values())
# Where a wheel carries them, inside the `gatehouse` package.
PACKAGED_DIRECTORY = "graphiql"
