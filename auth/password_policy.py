"""The password policy, checked wherever a password is set, with no network call.

A password must be at least 12 characters long (and at most 1024), must not be a common
password, and must not contain the local part of the account's email. The common passwords
are the 30,000 most common of the "10 million passwords" corpus (Mark Burnett, via
xato.net) that zxcvbn (`zxcvbn` on PyPI, MIT licence, a dependency) ships as its
`passwords` frequency list; docs/sessions.md names it. Most entries are shorter than 12
characters, so a common password with digits or symbols added before or after it
(`password1234`, `!!dragon2024`) and one repeated (`monkeymonkey`) count as common too:
that is how short common passwords are stretched to a length rule.

Every refusal is BAD_USER_INPUT with `reason: "WEAK_PASSWORD"` and a message naming the
rule; the password itself is never part of the message.
"""

from __future__ import annotations

import functools
import unicodedata

from auth.passwords import validate_password
from core.config import MIN_PASSWORD_LENGTH
from core.errors import ErrorCode, GatehouseError

WEAK_PASSWORD = "WEAK_PASSWORD"  # noqa: S105 - a reason's name, not a password
# A local part shorter than this (`a@example.com`) would refuse too many good passwords.
MIN_LOCAL_PART_LENGTH = 3
# A core this much shorter than the whole password is a small part of it, not the password.
_MIN_CORE_SHARE = 0.5
_MIN_CORE_LENGTH = 4
# A password that is a unit this short repeated (`abcabcabcabc`) is refused whatever the unit.
_MAX_TRIVIAL_UNIT = 3


def weak_password(message: str) -> GatehouseError:
    return GatehouseError(ErrorCode.BAD_USER_INPUT, message, reason=WEAK_PASSWORD)


@functools.cache
def common_passwords() -> frozenset[str]:
    """Loaded once per process, on first use (about 0.2 s)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(str(each).lower() for each in FREQUENCY_LISTS["passwords"])


def check_password(password: str, email: str | None) -> None:
    """Raise BAD_USER_INPUT (`reason: "WEAK_PASSWORD"`) unless `password` may be set for
    the account with `email` (None: an account whose email is not known yet)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise weak_password(f"A password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    validate_password(password)  # at most 1024 characters, no control characters
    folded = unicodedata.normalize("NFKC", password).casefold()
    if _is_common(folded):
        raise weak_password(
            "This password is too common: it is on, or built from one on, a list of the "
            "30,000 most common passwords. Choose another."
        )
    local_part = _local_part(email)
    if local_part is not None and local_part in folded:
        raise weak_password("A password must not contain the email address's name part.")


def _local_part(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    local = unicodedata.normalize("NFKC", email.strip().rpartition("@")[0]).casefold()
    return local if len(local) >= MIN_LOCAL_PART_LENGTH else None


def _is_common(folded: str) -> bool:
    common = common_passwords()
    if folded in common or _repeats_a_common_unit(folded, common):
        return True
    # A common core with only digits, punctuation or spaces around it.
    start_limit = _leading_padding(folded)
    end_limit = len(folded) - _leading_padding(folded[::-1])
    min_core = max(_MIN_CORE_LENGTH, int(len(folded) * _MIN_CORE_SHARE + 0.5))
    longest = max(len(each) for each in common)
    for start in range(start_limit + 1):
        for end in range(max(end_limit, start + min_core), min(len(folded), start + longest) + 1):
            if folded[start:end] in common:
                return True
    return False


def _leading_padding(text: str) -> int:
    """How many characters at the start are padding (not letters)."""
    count = 0
    for character in text:
        if character.isalpha():
            break
        count += 1
    return count


def _repeats_a_common_unit(folded: str, common: frozenset[str]) -> bool:
    length = len(folded)
    for size in range(1, length // 2 + 1):
        if length % size == 0 and folded[:size] * (length // size) == folded:
            unit = folded[:size]
            return size <= _MAX_TRIVIAL_UNIT or unit in common
    return False
