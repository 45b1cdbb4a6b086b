"""Queries run from compiled plans (schema.plans) answer exactly as graphql-core's executor:
the same data, the same errors in the same order, null propagation, batching, and
graphql-core itself for what a plan does not cover."""

from __future__ import annotations

import asyncio
import enum
from typing import Annotated, Any

import pytest
import strawberry
from graphql import GraphQLError
from httpx import AsyncClient
from strawberry.dataloader import DataLoader
from strawberry.extensions import FieldExtension, ParserCache, SchemaExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from models import Role
from schema.plans import OperationPlan, plan_for
from schema.variables import RedactingExecutionContext
from tests.support.factories import gid, make_api_key
from tests.support.graphql import graphql, token_for


class Mood(enum.Enum):
    CALM = "calm"
    CROSS = "cross"


@strawberry.enum
class Kind(enum.Enum):
    CAT = "cat"
    DOG = "dog"


class Refuse(BasePermission):
    message = "Refused."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return bool(info.context["allowed"])


def refuse() -> FieldExtension:
    return PermissionExtension(permissions=[Refuse()])


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Pet(Named):
    legs: int
    kind: Kind
    tags: list[str] | None
    owner_id: strawberry.Private[int]

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> Person | None:
        loaded: Person | None = await info.context["people"].load(self.owner_id)
        return loaded


@strawberry.type
class Person(Named):
    id: int
    email: str | None
    nick: str
    mood: strawberry.enum(Mood)  # type: ignore[valid-type]
    friend_ids: strawberry.Private[list[int]]

    @strawberry.field
    def friends(self, info: strawberry.Info, first: int = 10) -> list[Person | None]:
        loader = info.context["people"]
        return [loader.load(each) for each in self.friend_ids[:first]]  # awaitable items

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError(f"broken {self.id}")

    @strawberry.field
    def must(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.id}"

    @strawberry.field
    async def later_broken(self) -> str:
        await asyncio.sleep(0)
        raise ValueError(f"later broken {self.id}")

    @strawberry.field
    def items(self) -> list[int | None]:
        return [1, ValueError("an item"), None]  # type: ignore[list-item]

    @strawberry.field
    def strict_items(self) -> list[int]:
        return [1, None, 3]  # type: ignore[list-item]

    @strawberry.field(extensions=[refuse()])
    def secret(self) -> str:
        return f"secret {self.id}"

    @strawberry.field
    def greeting(self, info: strawberry.Info, word: str = "Hi", times: int = 1) -> str:
        return " ".join([f"{word} {self.name}"] * times) + f" at {info.path.as_list()}"


Thing = Annotated[Pet | Person, strawberry.union("Thing")]

PEOPLE = {
    1: Person(
        id=1, name="Ada", email="ada@example.com", nick="a", mood=Mood.CALM, friend_ids=[2, 3]
    ),
    2: Person(id=2, name="Bob", email=None, nick=None, mood=Mood.CROSS, friend_ids=[1, 9]),  # type: ignore[arg-type]
    3: Person(id=3, name="Cy", email="cy@example.com", nick="c", mood=Mood.CALM, friend_ids=[]),
}
PETS = [
    Pet(name="Tom", legs=4, kind=Kind.CAT, tags=["grey"], owner_id=1),
    Pet(name="Rex", legs=3, kind=Kind.DOG, tags=None, owner_id=2),
]


@strawberry.type
class Query:
    @strawberry.field
    def people(self) -> list[Person]:
        return list(PEOPLE.values())

    @strawberry.field
    def strict_people(self) -> list[Person]:
        return [*PEOPLE.values(), None]  # type: ignore[list-item]

    @strawberry.field
    def person(self, number: Annotated[int, strawberry.argument(name="id")]) -> Person | None:
        return PEOPLE.get(number)

    @strawberry.field
    def things(self) -> list[Thing]:
        return [PETS[0], PEOPLE[1], PETS[1]]

    @strawberry.field
    def named(self) -> list[Named]:
        return [PEOPLE[3], PETS[1]]

    @strawberry.field
    async def pets(self) -> list[Pet]:
        return PETS

    @strawberry.field
    def pet_tuple(self) -> list[Pet]:
        return tuple(PETS)  # type: ignore[return-value]

    @strawberry.field
    def wrong(self) -> Pet | None:
        return PEOPLE[1]  # type: ignore[return-value]

    @strawberry.field
    def count(self) -> int:
        return len(PEOPLE)

    @strawberry.field
    def flag(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> int:
        return 1


def build(execution_context_class: Any) -> strawberry.Schema:
    # Plans are kept on the parsed document: Gatehouse's DocumentGuard caches them.
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=execution_context_class,
        extensions=[ParserCache],
    )


PLANNED = build(RedactingExecutionContext)
GENERAL = build(StrawberryGraphQLCoreExecutionContext)

DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("{ people { id name email nick mood } }", {}),
    ("{ people { id name ... on Person { mood } } count flag }", {}),
    ("{ a: people { n: name } b: people { name email } }", {}),
    ("{ people { name friends { name friends { name } } } }", {}),
    ("{ people { broken must items strictItems } }", {}),
    ("{ people { id later laterBroken } }", {}),
    ("{ strictPeople { name } }", {}),
    ("{ strictPeople { id nick } }", {}),
    ("{ person(id: 2) { nick } }", {}),
    ("query($id: Int!) { person(id: $id) { id name } }", {"id": 3}),
    ("query($id: Int!) { person(id: $id) { id name } }", {"id": 42}),
    ("{ things { __typename ... on Pet { name legs kind } ... on Person { name email } } }", {}),
    (
        "{ named { __typename name ... on Pet { owner { name } } ...P } }"
        " fragment P on Person { id }",
        {},
    ),
    ("{ pets { name tags owner { name nick } } }", {}),
    ("{ petTuple { name kind } }", {}),
    ("{ wrong { name } }", {}),
    ("{ __typename people { __typename } }", {}),
    ("{ people { secret } }", {}),
    ('{ people { greeting g2: greeting(word: "Yo", times: 2) } }', {}),
    ("query($w: String!) { people { greeting(word: $w) } }", {"w": "Hey"}),
    (
        "query($skip: Boolean!, $show: Boolean!) { people { id @skip(if: $skip) "
        "name @include(if: $show) ...F @skip(if: $show) } } fragment F on Person { email }",
        {"skip": True, "show": False},
    ),
    (
        "query($skip: Boolean!, $show: Boolean!) { people { id @skip(if: $skip) "
        "name @include(if: $show) ...F @skip(if: $show) } } fragment F on Person { email }",
        {"skip": False, "show": True},
    ),
    ("{ people { id } people { name } ...Q } fragment Q on Query { count }", {}),
]


def loader() -> tuple[DataLoader[int, Person | None], list[list[int]]]:
    batches: list[list[int]] = []

    async def load(keys: list[int]) -> list[Person | None]:
        batches.append(list(keys))
        return [PEOPLE.get(key) for key in keys]

    return DataLoader(load_fn=load), batches


async def answer(
    schema: strawberry.Schema, document: str, variables: dict[str, Any], *, allowed: bool = True
) -> tuple[Any, list[Any], list[list[int]]]:
    people, batches = loader()
    result = await schema.execute(
        document, variables, context_value={"people": people, "allowed": allowed}
    )
    errors = [error.formatted for error in result.errors or ()]
    return result.data, errors, batches


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[OperationPlan | None]:
    """The plans found for each operation executed."""
    found: list[OperationPlan | None] = []
    real = plan_for

    def recording(executor: Any) -> OperationPlan | None:
        plan = real(executor)
        found.append(plan)
        return plan

    monkeypatch.setattr("schema.variables.plan_for", recording)
    return found


@pytest.mark.parametrize(("document", "variables"), DOCUMENTS)
async def test_a_plan_answers_as_graphql_core(
    document: str, variables: dict[str, Any], plans: list[OperationPlan | None]
) -> None:
    expected = await answer(GENERAL, document, variables)
    for _ in range(2):  # compiled, then from the cache
        assert await answer(PLANNED, document, variables) == expected
    assert len(plans) == 2
    assert plans[0] is not None
    assert plans[1] is plans[0]


async def test_errors_are_kept_in_order_with_their_paths(plans: list[OperationPlan | None]) -> None:
    document = (
        "{ a: person(id: 1) { id broken strictItems } b: person(id: 2) { laterBroken nick }"
        " c: person(id: 3) { later broken } }"
    )
    data, errors, _ = await answer(PLANNED, document, {})

    assert (data, errors) == (await answer(GENERAL, document, {}))[:2]
    assert data == {"a": None, "b": None, "c": {"later": "later 3", "broken": None}}
    assert [error["path"] for error in errors] == [
        ["a", "broken"],
        ["a", "strictItems", 1],
        ["b", "nick"],
        ["c", "broken"],
    ]
    assert plans[0] is not None


async def test_permissions_refuse_as_before(plans: list[OperationPlan | None]) -> None:
    document = "{ people { id secret } }"

    refused = await answer(PLANNED, document, {}, allowed=False)

    assert refused == await answer(GENERAL, document, {}, allowed=False)
    assert refused[1][0]["message"] == "Refused."


async def test_loads_are_batched_as_before(plans: list[OperationPlan | None]) -> None:
    document = "{ people { friends { name } } pets { owner { name } } }"

    _, _, batches = await answer(PLANNED, document, {})

    assert batches == (await answer(GENERAL, document, {}))[2]
    assert len(batches) == 1


async def test_one_plan_per_operation_and_switch_values(plans: list[OperationPlan | None]) -> None:
    document = "query($a: Boolean!) { people { id @include(if: $a) } }"

    for value in (True, False, True, False):
        await answer(PLANNED, document, {"a": value})

    assert plans[0] is plans[2]
    assert plans[1] is plans[3]
    assert plans[0] is not plans[1]


@pytest.mark.parametrize(
    "document",
    [
        "{ __schema { queryType { name } } }",
        '{ people { name } __type(name: "Person") { name } }',
        "mutation { touch }",
    ],
)
async def test_what_a_plan_does_not_cover_runs_in_graphql_core(
    document: str, plans: list[OperationPlan | None]
) -> None:
    expected = await answer(GENERAL, document, {})

    assert await answer(PLANNED, document, {}) == expected
    assert plans == [None]


async def test_a_resolve_hook_leaves_plans_aside(plans: list[OperationPlan | None]) -> None:
    class Upper(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            result = _next(root, info, *args, **kwargs)
            return result.upper() if isinstance(result, str) else result

    hooked = strawberry.Schema(
        query=Query, extensions=[Upper], execution_context_class=RedactingExecutionContext
    )

    result = await hooked.execute("{ people { name } }", context_value={"people": None})

    assert result.data == {"people": [{"name": "ADA"}, {"name": "BOB"}, {"name": "CY"}]}
    assert plans == [None]


def test_variable_errors_are_still_redacted() -> None:
    result = PLANNED.execute_sync("query($id: Int!) { person(id: $id) { id } }", {"id": "x"})

    assert result.errors is not None
    assert isinstance(result.errors[0], GraphQLError)
    assert "'x'" not in result.errors[0].message


APP_DOCUMENTS = [
    "{ me { id email roles } }",
    "{ apiKeys(first: 20) { totalCount nodes { id name maskedKey status lastUsedAt "
    "createdBy { email } } } }",
    "{ users(first: 20) { nodes { id email roles lastLoginAt } } }",
    "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on User { email } "
    "...K } } fragment K on ApiKey { name a: status }",
    "query($id: ID!, $more: Boolean!) { node(id: $id) { id ... on ApiKey { name "
    "scopes @include(if: $more) createdBy @skip(if: $more) { id } } } }",
    "{ keyMetrics { totalKeys activeKeys expiredKeys apiCallsToday } }",
    "{ apiKeys(first: 2) { pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }",
]


@pytest.mark.parametrize("role", [Role.SUPER_ADMIN, Role.READ_ONLY])
@pytest.mark.parametrize("document", APP_DOCUMENTS)
async def test_the_app_answers_as_with_graphql_core(
    client: AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    plans: list[OperationPlan | None],
    document: str,
    role: Role,
) -> None:
    user, token = await token_for(client, role)
    other, _ = await token_for(client, Role.ADMIN)
    key, _ = await make_api_key(other, name="deploy")
    variables = {"ids": [gid(user), gid(key), gid(other)], "id": gid(key), "more": True}

    plans.clear()
    planned = await graphql(client, document, variables, token=token)
    monkeypatch.setattr("schema.variables.plan_for", lambda _executor: None)
    general = await graphql(client, document, variables, token=token)

    assert planned == general
    assert plans[0] is not None


async def test_a_document_that_fails_to_compile_runs_in_graphql_core(
    monkeypatch: pytest.MonkeyPatch, plans: list[OperationPlan | None]
) -> None:
    def failing(*_args: Any) -> Any:
        raise GraphQLError("Not while compiling.")

    monkeypatch.setattr("schema.plans.collect_fields", failing)
    document = "{ people { id name } count }"

    answered = await answer(PLANNED, document, {})

    assert answered == await answer(GENERAL, document, {})
    assert answered[0] is not None
    assert plans == [None]
