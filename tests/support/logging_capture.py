"""Run code under the server's own logging configuration and read what it wrote."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from core.config import Settings
from gatehouse.logging_setup import configure_logging

_TOUCHED = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "tortoise",
    "aiosqlite",
    "asyncpg",
    "httpx",
    "httpcore",
)


@contextmanager
def server_logging(level: str = "DEBUG", log_format: str = "text") -> Iterator[io.StringIO]:
    """The configuration `gatehouse serve` applies, writing into the returned buffer; the
    test run's own logging is put back afterwards."""
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {
        name: (
            logging.getLogger(name).level,
            logging.getLogger(name).handlers[:],
            logging.getLogger(name).propagate,
        )
        for name in _TOUCHED
    }
    buffer = io.StringIO()
    configure_logging(Settings(log_level=level, log_format=log_format))
    try:
        for handler in root.handlers:
            assert isinstance(handler, logging.StreamHandler)
            handler.setStream(buffer)
        yield buffer
    finally:
        logging.captureWarnings(False)
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, (level_number, handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level_number)
            logger.handlers[:] = handlers
            logger.propagate = propagate
