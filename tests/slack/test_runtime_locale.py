"""The user's language: one users.info per user however many answers ask at once."""

from __future__ import annotations

import asyncio

from bot.audit import AuditLog
from bot.config import load_settings
from bot.slack.access import AccessControl
from bot.slack.runtime import Actor, SlackRuntime, Surface
from bot.slack.sealed import Sealer
from bot.store.memory import MemoryStore
from bot.wiring import build_service
from tests.doubles import InProcessWolkvox, StubWebClient


def counting_web(locale: str, *, fail: bool = False) -> StubWebClient:
    """users.info answering `locale` after 50 ms (or failing), each call counted."""
    web = StubWebClient(locale=locale)
    web.delay = 0.05
    if fail:
        web.fail.add("users.info")
    return web


def calls(web: StubWebClient) -> int:
    return len(web.named("users.info"))


def runtime(web: StubWebClient) -> SlackRuntime:
    settings = load_settings(
        {"WOLKVOX_LANG": "es", "WOLKVOX_TOKEN": "demo-token-1", "WOLKVOX_SERVER": "0042"},
        dotenv=False,
    )
    store = MemoryStore()
    return SlackRuntime(
        settings=settings,
        service=build_service(settings, store, client=InProcessWolkvox()),
        store=store,
        web=web,
        access=AccessControl(settings, web, store),
        audit=AuditLog(),
        sealer=Sealer("s" * 32),
    )


ACTOR = Actor(team_id="T1", user_id="U0AGENT01", channel_id="C1", surface=Surface.COMMAND)


async def test_concurrent_askers_share_one_users_info_call() -> None:
    web = counting_web("en-US")
    rt = runtime(web)
    assert rt.lang_now(ACTOR) == "es"  # unknown yet: the default, and a fetch starts
    langs = await asyncio.gather(*(rt.lang_for(ACTOR) for _ in range(5)))
    assert langs == ["en"] * 5
    assert calls(web) == 1
    assert rt.lang_now(ACTOR) == "en"  # known now, no new call
    assert calls(web) == 1
    await rt.drain(1.0)


async def test_a_failing_users_info_falls_back_to_the_default_once() -> None:
    web = counting_web("en-US", fail=True)
    rt = runtime(web)
    assert await rt.lang_for(ACTOR) == "es"
    assert await rt.lang_for(ACTOR) == "es"
    assert calls(web) == 1  # the failure is remembered (for the locale cache's hour)


async def test_a_locale_in_the_payload_needs_no_call() -> None:
    web = counting_web("es-ES")
    rt = runtime(web)
    actor = Actor(
        team_id="T1", user_id="U2", channel_id="C1", surface=Surface.MODAL, locale="en-GB"
    )
    assert await rt.lang_for(actor) == "en"
    assert rt.lang_now(actor) == "en"
    assert calls(web) == 0
