"""Where the portal's build lives: read by the server (gatehouse/portal.py) and by setup.py,
which copies it into the wheel. Standard library only, since setup.py loads this file in the
build's own environment."""

from __future__ import annotations

# `npm run build` in portal/ writes here (git-ignored); `make install` runs it.
BUILD_DIRECTORY = "portal/dist"
PAGE = "index.html"
# The trusted-documents manifest of the portal's own operations, written by the same build.
MANIFEST = "trusted-documents.json"
# Where a wheel carries the build, inside the `gatehouse` package.
PACKAGED_DIRECTORY = "portal_dist"
