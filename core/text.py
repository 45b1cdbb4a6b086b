"""What text the portal accepts, and how stored text is shown on a terminal.

Control characters (Unicode category Cc, NUL included: PostgreSQL refuses it in text) and
the bidirectional formatting characters (which make `gk_abc` display as `cba_kg`, or hide
part of a name in a terminal or a log) are never part of a name, an email or a search.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Cc (C0, DEL, C1), the Arabic letter mark, LRM/RLM, the embeddings and overrides
# (U+202A-U+202E) and the isolates (U+2066-U+2069).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Invisible in an address: format characters (Cf: zero-width space and joiners, soft
# hyphen, tags) and the default-ignorable fillers and selectors outside Cf.
_INVISIBLE_EXTRA = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u3164\ufe00-\ufe0f\uffa0]")

UNSAFE_TEXT_RULE = "must not contain control characters or bidirectional formatting characters"


def has_unsafe_characters(text: str) -> bool:
    return _UNSAFE.search(text) is not None


def without_unsafe_characters(text: str) -> str:
    """`text` with its control and bidirectional formatting characters removed."""
    return _UNSAFE.sub("", text)


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def has_invisible_characters(text: str) -> bool:
    return _INVISIBLE_EXTRA.search(text) is not None or any(
        unicodedata.category(character) in ("Cf", "Cc") for character in text
    )


def shown(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every character a terminal would not print as itself escaped (`\\x00`,
    `\\u202e`): rows written before the input rules may still hold such characters."""
    if text.isprintable():
        return text
    return "".join(
        character
        if character.isprintable() or (keep_newlines and character == "\n")
        else character.encode("unicode_escape").decode("ascii")
        for character in text
    )


def redacted_url(url: str) -> str:
    """`url` fit for a log line: without its userinfo (`user:password@`) and with the query
    (`?token=…`) and fragment blanked, where credentials for a receiver usually ride."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unparsable URL)"
    if ":" in host:
        host = f"[{host}]"
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    query = "?…" if parts.query else ""
    fragment = "#…" if parts.fragment else ""
    return shown(f"{scheme}{host}{port}{parts.path}{query}{fragment}")
