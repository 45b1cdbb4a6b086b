from collections.abc import AsyncIterator

from httpx import AsyncClient

from gatehouse.app import MAX_BODY_BYTES


async def test_a_body_over_the_limit_is_refused_with_bad_user_input(client: AsyncClient) -> None:
    padding = "x" * (MAX_BODY_BYTES + 1)

    response = await client.post(
        "/graphql",
        content=f'{{"query": "{{ __typename }}", "p": "{padding}"}}',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_body_under_the_limit_is_served(client: AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_a_streamed_body_over_the_limit_is_refused(client: AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "p": "'
        for _ in range(MAX_BODY_BYTES // 65536 + 1):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
