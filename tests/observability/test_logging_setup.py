"""The server's one log format: timestamps on every line, uvicorn's and warnings included,
fields that cannot forge a line, and no ORM chatter."""

from __future__ import annotations

import json
import logging
import pickle
import warnings

import pytest

from core.config import ConfigError, Settings
from core.observability import RequestRecord, begin_request, end_request
from gatehouse.logging_setup import log_config
from tests.support.logging_capture import server_logging

TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def test_log_format_defaults_to_text_and_accepts_json() -> None:
    assert Settings.load(environ={}, env_file=None).log_format == "text"
    assert Settings.load(environ={"LOG_FORMAT": "JSON"}, env_file=None).log_format == "json"


def test_an_unknown_log_format_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        Settings.load(environ={"LOG_FORMAT": "xml"}, env_file=None)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_uvicorn_and_gatehouse_lines_share_the_format(log_format: str) -> None:
    with server_logging("INFO", log_format) as output:
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 1234)
        logging.getLogger("uvicorn").info("Uvicorn running")
        logging.getLogger("gatehouse").info("serving on %s", "http://127.0.0.1:8000/graphql")

    lines = _lines(output.getvalue())
    assert len(lines) == 3
    for line in lines:
        if log_format == "json":
            document = json.loads(line)
            assert set(document) >= {"time", "level", "logger", "message"}
            assert document["time"].endswith("Z")
        else:
            assert line[:24].endswith("Z")
            assert " INFO " in line
    assert "Started server process [1234]" in output.getvalue()
    # uvicorn's "uvicorn.error" logger carries no errors here; it reads as plain "uvicorn".
    assert "uvicorn.error" not in output.getvalue()


def test_uvicorns_access_lines_give_way_to_the_request_line() -> None:
    with server_logging("DEBUG") as output:
        logging.getLogger("uvicorn.access").info('127.0.0.1:1 - "GET / HTTP/1.1" 200')

    assert output.getvalue() == ""


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_tortoise_and_the_drivers_say_nothing_below_a_warning(level: str) -> None:
    with server_logging(level) as output:
        logging.getLogger("tortoise").info("Tortoise-ORM shutdown")
        logging.getLogger("tortoise.db_client").debug("SELECT 1: ['$argon2id$secret']")
        logging.getLogger("aiosqlite").debug("executing ['$argon2id$secret']")
        logging.getLogger("tortoise").warning("something is off")

    assert _lines(output.getvalue())[-1].endswith("tortoise: something is off")
    assert len(_lines(output.getvalue())) == 1


def test_log_level_is_honoured() -> None:
    with server_logging("WARNING") as output:
        logging.getLogger("gatehouse").info("quiet")
        logging.getLogger("uvicorn.error").info("quiet too")
        logging.getLogger("gatehouse").warning("loud")

    assert [line.rsplit(": ", 1)[1] for line in _lines(output.getvalue())] == ["loud"]


def test_warnings_are_logged_in_the_same_format() -> None:
    with server_logging("INFO") as output, warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a deprecated thing", DeprecationWarning, stacklevel=1)

    [line] = _lines(output.getvalue())[:1]
    assert "py.warnings" in line
    assert "a deprecated thing" in line
    assert line[:24].endswith("Z")


def test_a_text_value_cannot_forge_a_field_or_a_line() -> None:
    with server_logging("INFO") as output:
        logging.getLogger("gatehouse.request").info(
            "line", extra={"path": "/x\n2026-01-01 INFO forged", "name_": 'a b="c"'}
        )

    [line] = _lines(output.getvalue())
    assert 'path="/x\\n2026-01-01 INFO forged"' in line
    assert 'name_="a b=\\"c\\""' in line


@pytest.mark.parametrize("level", ["DEBUG", "INFO"])
def test_httpx_says_nothing_below_a_warning(level: str) -> None:
    # Its request lines carry the full URL, credentials included.
    with server_logging(level) as output:
        logging.getLogger("httpx").info('HTTP Request: POST https://u:pw@hooks.example.com "200"')
        logging.getLogger("httpcore.http11").debug("send_request_headers.started")

    assert output.getvalue() == ""


def test_a_message_quoting_stored_text_cannot_rewrite_the_terminal() -> None:
    with server_logging("INFO") as output:
        logging.getLogger("gatehouse").info("revoked key %s", "evil\x1b[2J\u202eyek\x00")

    [line] = _lines(output.getvalue())
    assert line.endswith("gatehouse: revoked key evil\\x1b[2J\\u202eyek\\x00")


def test_an_exception_keeps_its_trace_after_the_fields() -> None:
    with server_logging("INFO", "json") as output:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("gatehouse").exception("failed", extra={"request_id": "r9"})

    document = json.loads(output.getvalue())
    assert document["request_id"] == "r9"
    assert "ValueError: boom" in document["exc_info"]


def test_lines_logged_during_a_request_carry_its_id() -> None:
    with server_logging("INFO") as output:
        token = begin_request(RequestRecord(request_id="abc123"))
        try:
            logging.getLogger("gatehouse.errors").error("unexpected error")
        finally:
            end_request(token)
        logging.getLogger("gatehouse").info("after the request")

    during, after = _lines(output.getvalue())
    assert during.endswith("unexpected error request_id=abc123")
    assert after.endswith("after the request")


def test_the_configuration_travels_to_worker_processes() -> None:
    # uvicorn pickles its config into each spawned worker.
    config = log_config("INFO", "json")

    assert pickle.loads(pickle.dumps(config)) == config  # noqa: S301
