"""What a serving process does with its heap once it has started.

Everything made while starting (the schema and its plans' caches, the ORM's models, the
settings) lives as long as the process. The garbage collector's older generations would
walk all of it again at every collection that a request's garbage triggers: a tenth of a
list page's time in profiles. Frozen, it is out of the collector's sight (it is never
garbage anyway). Only a process that serves does this: the tests build and drop apps by the
hundred, and frozen objects are never collected.
"""

from __future__ import annotations

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
