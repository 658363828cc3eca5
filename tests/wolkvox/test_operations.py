"""One bot serving one operation of several named in WOLKVOX_OPERATIONS: its server and tokens,
its way of storing phones, and its own cache and breaker keys in a shared store."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from collections.abc import AsyncIterator

import pytest

from bot.config import ConfigError, Secret, load_settings
from bot.errors import QueryError
from bot.query import Query
from bot.store.memory import MemoryStore
from bot.wiring import build_lookups, build_service, served_operation
from bot.wolkvox.breaker import CircuitBreaker
from bot.wolkvox.errors import Unavailable
from bot.wolkvox.lookup import Gap
from bot.wolkvox.operations import Operations, _joined_csv
from bot.wolkvox.records import FindAnswer
from tests.doubles import InProcessWolkvox
from tests.store.helpers import BACKENDS, Pair, two_instances

ECUADOR = {
    "WOLKVOX_OPERATIONS": "ec",
    "WOLKVOX_EC_NAME": "Ecuador",
    "WOLKVOX_EC_BASE_URL": "http://127.0.0.1:9/ec",
    "WOLKVOX_EC_TOKEN": "ec-token-1",
    "WOLKVOX_EC_PHONE_REGION": "EC",
    "WOLKVOX_EC_PHONE_FORMAT": "international",
}


async def test_one_named_operation_is_served_with_its_own_phone_format() -> None:
    settings = load_settings(ECUADOR, dotenv=False)
    wolkvox = InProcessWolkvox()
    service = build_service(settings, MemoryStore(), client=wolkvox)
    assert service.operation.name == "Ecuador"
    assert service.pool.tokens[0].reveal() == "ec-token-1"
    await service.lookup(Query(phone="991234567"))
    assert wolkvox.phones == ["593991234567"]


def test_several_operations_are_refused_at_start_up_in_one_line() -> None:
    settings = load_settings(
        {**ECUADOR, "WOLKVOX_OPERATIONS": "ec,co", "WOLKVOX_CO_SERVER": "0042",
         "WOLKVOX_CO_TOKEN": "co-token-1"},
        dotenv=False,
    )  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        served_operation(settings)
    assert caught.value.variable == "WOLKVOX_OPERATIONS"


def test_cache_keys_are_the_operations_own_and_unchanged_without_operations() -> None:
    query = Query(phone="3001234567")
    legacy = load_settings({"WOLKVOX_SERVER": "0042", "WOLKVOX_TOKEN": "t"}, dotenv=False)
    service = build_service(legacy, MemoryStore(), client=InProcessWolkvox())
    assert service.store_key(query) == legacy.digest("query", query.key)  # as before
    ecuador = build_service(load_settings(ECUADOR, dotenv=False), MemoryStore(),
                            client=InProcessWolkvox())  # fmt: skip
    assert ecuador.store_key(query) != legacy.digest("query", query.key)


async def test_each_operations_breaker_trips_alone() -> None:
    store: MemoryStore[object] = MemoryStore()
    colombia, ecuador = CircuitBreaker(store, namespace="co"), CircuitBreaker(store, namespace="ec")
    for n in range(10):
        await colombia.record_failure(Unavailable("down"), f"q{n}")
    assert await colombia.state() == "open"
    assert await ecuador.state() == "closed"
    await ecuador.check()  # does not raise: Ecuador's Wolkvox is fine


# --- several operations searched as one -------------------------------------------------------

TWO = {
    "WOLKVOX_OPERATIONS": "co,ec",
    "WOLKVOX_CO_NAME": "Colombia",
    "WOLKVOX_CO_BASE_URL": "http://127.0.0.1:9/co",
    "WOLKVOX_CO_TOKEN": "co-token-1",
    "WOLKVOX_EC_NAME": "Ecuador",
    "WOLKVOX_EC_BASE_URL": "http://127.0.0.1:9/ec",
    "WOLKVOX_EC_TOKEN": "ec-token-1",
}


class DownWolkvox(InProcessWolkvox):
    async def find_record(self, token: Secret, **_: object) -> FindAnswer:  # type: ignore[override]
        raise Unavailable("connection refused")

    async def find_record_csv(self, token: Secret, out: object, **_: object) -> int:  # type: ignore[override]
        raise Unavailable("connection refused")


def two_countries(ecuador: InProcessWolkvox | None = None) -> Operations:
    settings = load_settings(TWO, dotenv=False)
    lookups = build_lookups(
        settings, MemoryStore(), {"co": InProcessWolkvox(), "ec": ecuador or InProcessWolkvox()}
    )
    assert isinstance(lookups, Operations)
    return lookups


async def test_every_operation_answers_and_each_campaign_is_named() -> None:
    lookups = two_countries()
    result = await lookups.lookup(Query(phone="3001234567"))
    assert lookups.stats.cache_misses == 2 and lookups.stats.upstream_calls >= 2  # both counted
    named = {c.operation for c in result.answer.campaigns}
    assert named == {"Colombia", "Ecuador"} and result.gaps == ()
    dates = [c.last_date for c in result.answer.campaigns if c.last_date]
    assert dates == sorted(dates, reverse=True)  # the most recent first, across countries


async def test_a_partial_answer_names_the_operation_that_failed() -> None:
    result = await two_countries(DownWolkvox()).lookup(Query(phone="3001234567"))
    assert {c.operation for c in result.answer.campaigns} == {"Colombia"}
    assert result.gaps == (Gap("ec", "Ecuador", "unavailable"),)


async def test_when_none_answers_the_lookup_fails() -> None:
    settings = load_settings(TWO, dotenv=False)
    lookups = build_lookups(settings, MemoryStore(), {"co": DownWolkvox(), "ec": DownWolkvox()})
    with pytest.raises(Unavailable):
        await lookups.lookup(Query(phone="3001234567"))


async def test_a_search_narrowed_to_an_unknown_operation_says_which_there_are() -> None:
    with pytest.raises(QueryError) as caught:
        await two_countries().lookup(Query(phone="3001234567", operation="mx"))
    assert caught.value.reason == "unknown_operation"
    assert caught.value.params["known"] == "co, ec"


async def test_each_operations_dates_are_the_same_moments_on_the_card() -> None:
    """Ecuador's Wolkvox writes dates in its own zone (here UTC-6); the card reads dates in
    WOLKVOX_TIMEZONE (Bogotá, UTC-5): 10:00 there is 11:00 here."""
    settings = load_settings({**TWO, "WOLKVOX_EC_TIMEZONE": "America/Mexico_City"}, dotenv=False)
    alone = build_service(
        settings, MemoryStore(), InProcessWolkvox(), operation=settings.operations[1]
    )
    own = {
        c.campaign_id: c.last_date
        for c in (await alone.lookup(Query(phone="3001234567"))).answer.campaigns
    }
    lookups = build_lookups(
        settings, MemoryStore(), {"co": InProcessWolkvox(), "ec": InProcessWolkvox()}
    )
    merged = await lookups.lookup(Query(phone="3001234567"))
    ecuador = [c for c in merged.answer.campaigns if c.operation == "Ecuador" and c.last_date]
    assert ecuador
    for c in ecuador:
        written = own[c.campaign_id]
        assert written is not None and (c.last_date - written).total_seconds() == 3600


class SlowWolkvox(InProcessWolkvox):
    """A country whose Wolkvox takes 3 s."""

    async def find_record(self, token: Secret, **kwargs: object) -> FindAnswer:  # type: ignore[override]
        await asyncio.sleep(3.0)
        return await super().find_record(token, phone=str(kwargs.get("phone", "")))


async def test_a_slow_country_does_not_hold_the_others_answer() -> None:
    """Once one operation has answered, the others get WOLKVOX_STUCK_AFTER; a slow one is named
    "still searching" and its lookup goes on, so the next search finds it in the cache."""
    settings = load_settings({**TWO, "WOLKVOX_STUCK_AFTER": "0.2"}, dotenv=False)
    slow = SlowWolkvox()
    lookups = build_lookups(settings, MemoryStore(), {"co": InProcessWolkvox(), "ec": slow})
    started = time.monotonic()
    result = await lookups.lookup(Query(phone="3001234567"))
    assert time.monotonic() - started < 1.5
    assert {c.operation for c in result.answer.campaigns} == {"Colombia"}
    assert result.gaps == (Gap("ec", "Ecuador", "still_searching"),)
    assert result.late is not None  # the whole answer, for the card to be updated to
    whole = await result.late
    assert {c.operation for c in whole.answer.campaigns} == {"Colombia", "Ecuador"}
    assert whole.gaps == () and whole.late is None
    assert time.monotonic() - started < 3.5  # Ecuador's own time, no more
    # Ecuador's lookup filled its cache: the next search has both at once
    again = await lookups.lookup(Query(phone="3001234567"))
    assert {c.operation for c in again.answer.campaigns} == {"Colombia", "Ecuador"}


async def test_a_number_with_a_countrys_code_goes_to_that_countrys_operation() -> None:
    settings = load_settings({**TWO, "WOLKVOX_EC_PHONE_REGION": "EC"}, dotenv=False)
    colombia, ecuador = InProcessWolkvox(), InProcessWolkvox()
    lookups = build_lookups(settings, MemoryStore(), {"co": colombia, "ec": ecuador})
    await lookups.lookup(Query(phone="593991234567"))  # typed as +593 99 123 4567
    assert (colombia.phones, ecuador.phones) == ([], ["991234567"])  # as Ecuador stores it
    await lookups.lookup(Query(phone="3001234567"))  # the home region's: every country
    assert (colombia.phones, ecuador.phones) == (["3001234567"], ["991234567", "573001234567"])
    await lookups.lookup(Query(phone="12125551234"))  # no operation in the US: every country
    assert colombia.phones[-1] == ecuador.phones[-1] == "12125551234"
    # Narrowed to Colombia, a +593 number is searched there all the same (the agent asked).
    await lookups.lookup(Query(phone="593991234567", operation="co"))
    assert colombia.phones[-1] == "593991234567"


def test_operations_exports_join_under_one_header_with_every_column() -> None:
    colombia = io.StringIO("customer_id,tel1,color\r\n1,300,rojo\r\n2,301,azul\r\n")
    ecuador = io.StringIO("customer_id,tel1,zona\r\n9,099,norte\r\n")
    out = io.StringIO()
    rows = _joined_csv([("Colombia", colombia), ("Ecuador", ecuador)], out)
    assert rows == 3
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["operation", "customer_id", "tel1", "color", "zona"],
        ["Colombia", "1", "300", "rojo", ""],
        ["Colombia", "2", "301", "azul", ""],
        ["Ecuador", "9", "099", "", "norte"],
    ]


async def test_an_export_is_all_or_nothing_across_operations() -> None:
    out = io.StringIO()
    rows = await two_countries().export(Query(phone="3001234567"), out)
    assert rows > 0 and out.getvalue().startswith("operation,")
    out = io.StringIO()
    with pytest.raises(Unavailable):
        await two_countries(DownWolkvox()).export(Query(phone="3001234567"), out)
    assert out.getvalue() == ""  # Colombia's records alone would look like the whole answer


# --- the store's side, on every backend: two instances sharing it ---------------------------


@pytest.fixture(params=BACKENDS)
async def two_instances_store(request: pytest.FixtureRequest) -> AsyncIterator[Pair]:
    async with two_instances(request.param, request) as stores:
        yield stores


async def test_each_operations_cache_and_breaker_are_its_own_on_every_backend(
    two_instances_store: Pair,
) -> None:
    settings = load_settings(TWO, dotenv=False)
    a_store, b_store = two_instances_store
    colombia_a, down_a = InProcessWolkvox(), DownWolkvox()
    a = build_lookups(settings, a_store, {"co": colombia_a, "ec": down_a})
    colombia_b, ecuador_b = InProcessWolkvox(), InProcessWolkvox()
    b = build_lookups(settings, b_store, {"co": colombia_b, "ec": ecuador_b})
    assert isinstance(a, Operations) and isinstance(b, Operations)
    # Instance A: Colombia answers (cached), Ecuador fails 5 searches (at once: each retries).
    results = await asyncio.gather(*(a.lookup(Query(phone=f"300123456{n}")) for n in range(5)))
    assert all([g.kind for g in r.gaps] == ["unavailable"] for r in results)
    # Instance B: Colombia's answers come from the shared cache; Ecuador's breaker is open
    # for everyone, Colombia's is closed.
    for n in range(5):
        result = await b.lookup(Query(phone=f"300123456{n}"))
        assert result.from_cache and [g.kind for g in result.gaps] == ["circuit_open"]
    assert (colombia_b.calls, ecuador_b.calls) == (0, 0)
    states = {s.operation: s.breaker for s in await b.statuses()}
    assert states == {"co": "closed", "ec": "open"}
    # The same phone in Ecuador is not Colombia's cached answer: keys are per operation.
    narrowed = b._chosen(Query(phone="3001234560", operation="ec"))[0]
    colombia = b._chosen(Query(phone="3001234560", operation="co"))[0]
    query = Query(phone="3001234560")
    assert narrowed.store_key(query) != colombia.store_key(query)
    assert await b_store.cache_get(narrowed.store_key(query)) is None
    assert await b_store.cache_get(colombia.store_key(query)) is not None
