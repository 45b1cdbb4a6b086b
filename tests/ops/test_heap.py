"""A serving process moves what it made while starting out of the collector's sight."""

from __future__ import annotations

import gc

from gatehouse import heap


def test_settling_freezes_what_lives_now() -> None:
    kept = [object() for _ in range(10)]
    try:
        heap.settle()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()
