"""`make run` without Slack credentials plays the demo: every surface's card, then the same
customer found in two countries by a bot serving two operations."""

from __future__ import annotations

import io

from bot.devtools.demo import run_demo


async def test_the_demo_plays_every_surface_and_two_countries() -> None:
    out = io.StringIO()
    assert await run_demo(out) == 0
    shown = out.getvalue()
    for surface in (
        "/wolkvox find 3001234567",
        "a mention in #soporte",
        "a direct message to the bot",
        "message shortcut",
        "card in the modal",
        "step completed",
        "home tab",
        "¿Marcar ••• ••• 4567 desde tu Wolkvox Agent, extensión 12004?",
        "Tu Wolkvox Agent está marcando ••• ••• 4567 (extensión 12004)",
        "that was all",
    ):
        assert surface in shown, surface
    country_act = shown.split("two operations, Colombia and Ecuador", 1)[1]
    assert "Colombia · Cobranza Q4" in country_act and "Ecuador · Encuesta NPS" in country_act
    assert "Traceback" not in shown
