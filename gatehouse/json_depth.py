"""How deeply a JSON document nests, measured without parsing it.

Python's `json` parser recurses once per level and fails with RecursionError on deep
documents (a 20 KB body of brackets is enough); checking first turns that into a clear
refusal. The scan runs in C-speed passes: strings are cut out by one regular expression
(brackets inside them do not count), every other byte but the brackets is dropped, and
the running depth is a cumulative sum.
"""

from __future__ import annotations

import re
from itertools import accumulate

MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in _BRACKETS)
_STEP = [0] * 256
for _opening in b"[{":
    _STEP[_opening] = 1
for _closing in b"]}":
    _STEP[_closing] = -1


def _depths(document: bytes | str) -> accumulate[int]:
    data = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    brackets = _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    return accumulate(map(_STEP.__getitem__, brackets))


def json_depth(document: bytes | str) -> int:
    """The deepest nesting of arrays and objects; a malformed document gets a number
    too (its parser will refuse it anyway)."""
    return max(_depths(document), default=0)


def nests_deeper_than(document: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    # `filter` with a C predicate stops at the first level too deep, still in C.
    return next(filter(limit.__lt__, _depths(document)), None) is not None
