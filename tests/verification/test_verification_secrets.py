"""No log line carries a verified key's secret, nor the part of it after its public prefix."""

from __future__ import annotations

import httpx

from models import User
from tests.support.factories import make_api_key
from tests.support.logging_capture import server_logging
from tests.support.verification import verdict, verify
from tests.verification.conftest import Root


async def test_verified_secrets_never_reach_the_log(
    client: httpx.AsyncClient, root: Root, customer: User
) -> None:
    key, secret = await make_api_key(customer, remaining=1, permissions=["a:b"])
    unknown = "gk_" + "Z" * 43

    with server_logging("DEBUG", "json") as log:
        await verdict(client, root.secret, key=secret, operation="list")
        await verdict(client, root.secret, key=secret)  # USAGE_EXCEEDED, audited exhaustion
        await verdict(client, root.secret, key=unknown)
        await verify(client, root.secret, key=secret, permissions="a:b AND (")
        await verify(client, root.secret, key=secret, cost=-1)
        await verify(client, "gk_" + "Q" * 43, key=secret)

    text = log.getvalue()
    assert text  # the requests were logged
    for secret_text in (secret, root.secret, unknown):
        assert secret_text not in text
        assert secret_text[len(key.key_prefix) :] not in text
        assert secret_text[8:] not in text
