"""The user's language: one users.info per user however many answers ask at once."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.audit import AuditLog
from bot.config import load_settings
from bot.slack.access import AccessControl
from bot.slack.runtime import Actor, SlackRuntime
from bot.slack.sealed import Sealer
from bot.store.memory import MemoryStore


class CountingWeb:
    def __init__(self, locale: str, *, fail: bool = False) -> None:
        self.calls = 0
        self.locale = locale
        self.fail = fail

    async def users_info(self, *, user: str, include_locale: bool) -> dict[str, Any]:
        self.calls += 1
        await asyncio.sleep(0.05)
        if self.fail:
            raise RuntimeError("slack down")
        assert include_locale
        return {"ok": True, "user": {"id": user, "locale": self.locale}}


def runtime(web: CountingWeb) -> SlackRuntime:
    settings = load_settings({"WOLKVOX_LANG": "es"}, dotenv=False)
    store = MemoryStore()
    return SlackRuntime(
        settings=settings,
        service=None,  # type: ignore[arg-type]  # not used by the language helpers
        store=store,
        web=web,
        access=AccessControl(settings, web, store),
        audit=AuditLog(),
        sealer=Sealer("s" * 32),
    )


ACTOR = Actor(team_id="T1", user_id="U0AGENT01", channel_id="C1", surface="command")


async def test_concurrent_askers_share_one_users_info_call() -> None:
    web = CountingWeb("en-US")
    rt = runtime(web)
    assert rt.lang_now(ACTOR) == "es"  # unknown yet: the default, and a fetch starts
    langs = await asyncio.gather(*(rt.lang_for(ACTOR) for _ in range(5)))
    assert langs == ["en"] * 5
    assert web.calls == 1
    assert rt.lang_now(ACTOR) == "en"  # known now, no new call
    assert web.calls == 1
    await rt.drain(1.0)


async def test_a_failing_users_info_falls_back_to_the_default_once() -> None:
    web = CountingWeb("en-US", fail=True)
    rt = runtime(web)
    assert await rt.lang_for(ACTOR) == "es"
    assert await rt.lang_for(ACTOR) == "es"
    assert web.calls == 1  # the failure is remembered (for the locale cache's hour)


async def test_a_locale_in_the_payload_needs_no_call() -> None:
    web = CountingWeb("es-ES")
    rt = runtime(web)
    actor = Actor(team_id="T1", user_id="U2", channel_id="C1", surface="modal", locale="en-GB")
    assert await rt.lang_for(actor) == "en"
    assert rt.lang_now(actor) == "en"
    assert web.calls == 0
