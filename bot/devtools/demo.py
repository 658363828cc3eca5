"""`python -m bot demo` (and `make run` without Slack credentials): see the product, no account.

Starts the Wolkvox simulator, a stand-in of Slack's Web API and the real bot on loopback, then
plays a short scripted session through the bot's HTTP endpoint exactly as Slack would (signed
requests) and prints every card readably.
"""

from __future__ import annotations

import io
import json
import textwrap
from typing import Any, TextIO

from bot.devtools.stack import AGENT, CHANNEL, Stack, local_stack
from bot.devtools.wolkvox_sim.server import SimulatorConfig, days_to_today
from bot.slack import cards

WIDTH = 78


def _card(blocks: list[dict[str, Any]], text: str = "") -> str:
    return cards.card_to_text(cards.Card(blocks=blocks, text=text))


class Script:
    def __init__(self, stack: Stack, out: TextIO) -> None:
        self.stack = stack
        self.out = out

    def say(self, title: str, body: str = "") -> None:
        print(f"\n── {title} " + "─" * max(0, WIDTH - len(title) - 4), file=self.out)
        if body:
            print(textwrap.indent(body.rstrip(), "  │ "), file=self.out)
        self.out.flush()

    def ack(self, status: int, body: str, elapsed: float) -> None:
        shown = f"HTTP {status} in {elapsed * 1000:.0f} ms"
        if body.strip().startswith("{"):
            data = json.loads(body)
            if data.get("blocks"):
                shown += "\n" + _card(data["blocks"], data.get("text", ""))
        self.say("Slack got the ack", shown)

    async def response(self, url: str, count: int = 1) -> dict[str, Any]:
        posts = await self.stack.slack.wait_for_response(url, count=count, timeout=30)
        body: dict[str, Any] = posts[count - 1].body
        visibility = (
            "visible to the channel" if body.get("response_type") == "in_channel" else "private"
        )
        self.say(
            f"card via response_url ({visibility})",
            _card(body.get("blocks") or [], body.get("text", "")),
        )
        return body

    async def command(self, text: str) -> dict[str, Any] | None:
        self.say(f"/wolkvox {text}")
        status, body, elapsed, url = await self.stack.command(text)
        self.ack(status, body, elapsed)
        data = json.loads(body) if body.strip().startswith("{") else {}
        if data.get("blocks") and "…" not in str(data.get("text", "")):
            return data if _has_result(data) else None
        return await self.response(url)

    async def run(self) -> None:
        s = self.stack
        first = await self.command("find 3001234567")
        await self.command("buscar +57 300 123 4567")  # the same customer: served from cache
        await self.command("find 3000000403")  # Wolkvox rejects the token
        await self.command("find abc")  # bad input: a usage card, no Wolkvox call

        self.say("@Wolkvox find id 1020304050   (a mention in #soporte)")
        status, _, elapsed, _ = await s.mention("find id 1020304050")
        self.say("Slack got the ack", f"HTTP {status} in {elapsed * 1000:.0f} ms")
        await s.slack.wait_for("chat.update", ok=True, timeout=30)
        update = s.slack.calls("chat.update", ok=True)[-1].args
        self.say("card in the mention's thread (phones masked)", _card(_blocks(update)))

        dm = "hola, ¿me ayudas con el 300 123 4567?"
        self.say(f"a direct message to the bot: {dm!r}")
        updates = len(s.slack.calls("chat.update", ok=True))
        status, _, elapsed = await s.direct_message(dm)
        self.say("Slack got the ack", f"HTTP {status} in {elapsed * 1000:.0f} ms")
        await s.slack.wait_for("chat.update", count=updates + 1, ok=True, timeout=30)
        update = s.slack.calls("chat.update", ok=True)[-1].args
        self.say("card in the DM (private: phones in full)", _card(_blocks(update)))

        message = "Hola equipo, la clienta llamó desde el 310 456 7890, ¿la pueden revisar?"
        self.say(f"message shortcut 'Find in Wolkvox' on: {message!r}")
        status, _, elapsed, url = await s.message_shortcut(message)
        self.say("Slack got the ack", f"HTTP {status} in {elapsed * 1000:.0f} ms")
        await self.response(url)

        self.say("global shortcut 'Search Wolkvox'")
        status, _, elapsed = await s.global_shortcut()
        opened = (await s.slack.wait_for("views.open", ok=True, timeout=10))[-1].response["view"]
        self.say("modal opened", _card(opened["blocks"]))
        status, _, elapsed = await s.submit(
            opened, {"phone": "3001234567", "customer_id": "", "campaign_id": "42"}
        )
        self.say(
            "submitted phone 3001234567, campaign 42", f"HTTP {status} in {elapsed * 1000:.0f} ms"
        )
        updated = (await s.slack.wait_for("views.update", ok=True, timeout=30))[-1].args
        self.say("card in the modal", _card(_blocks(updated.get("view"))))

        inputs = {"phone": "300 123 4567", "customer_id": "", "campaign_id": ""}
        self.say(f"a Workflow Builder run of the step 'find_customer' with {inputs}")
        status, _, elapsed, run = await s.workflow_step(inputs)
        self.say("Slack got the ack", f"HTTP {status} in {elapsed * 1000:.0f} ms")
        result = await s.slack.wait_for_function_result(run, timeout=30)
        outputs = result.get("outputs") or {}
        self.say(
            "step completed: its outputs for the next steps",
            "\n".join(f"{k}: {v}" for k, v in outputs.items()) or f"failed: {result.get('error')}",
        )

        self.say("opening the bot's Home tab")
        await s.open_home()
        await s.slack.wait_for("views.publish", ok=True, timeout=10)
        home = s.slack.home_of(AGENT) or {}
        self.say("home tab (your recent searches are masked)", _card(home.get("blocks") or []))

        if first is not None:
            self.say("pressing 'Share in channel' on the first card")
            status, _, elapsed, url = await s.press("share_card", first)
            await self.response(url)
            confirm = _call_confirm(first)
            self.say("pressing '📞 Call' on the first card", f"Slack asks first: {confirm!r}")
            status, _, elapsed, url = await s.press("dial_customer", first)
            await self.response(url)

        await self.two_countries()

        self.say(
            "that was all",
            f"Wolkvox calls made: {_calls(s)} · cache hit rate "
            f"{s.bot.service.stats.cache_hit_rate:.0%}\n"
            "Connect to Slack: fill SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET in .env (see README).",
        )

    async def two_countries(self) -> None:
        """The same customer, with a bot serving two operations (WOLKVOX_OPERATIONS=co,ec) on
        the same simulator: one card, campaigns grouped by country."""
        url = self.stack.simulator_url
        env = {
            "WOLKVOX_LANG": "es",
            "WOLKVOX_BASE_URL": "",  # the single operation's settings give way to the two
            "WOLKVOX_TOKEN": "",
            "WOLKVOX_OPERATIONS": "co,ec",
            "WOLKVOX_CO_NAME": "Colombia",
            "WOLKVOX_CO_BASE_URL": f"{url}/co",
            "WOLKVOX_CO_TOKEN": "demo-token-co",
            "WOLKVOX_EC_NAME": "Ecuador",
            "WOLKVOX_EC_BASE_URL": f"{url}/ec",
            "WOLKVOX_EC_TOKEN": "demo-token-ec",
            "WOLKVOX_EC_TIMEZONE": "America/Guayaquil",
        }
        self.say(
            "a second bot serving two operations, Colombia and Ecuador",
            "\n".join(f"{k}={v}" for k, v in env.items() if k.startswith("WOLKVOX_OPERATIONS")),
        )
        async with local_stack(env=env, simulator_url=url, validate_blocks=False) as stack:
            stack.bot.runtime.audit.stream = io.StringIO()
            await Script(stack, self.out).command("find 3001234567")


def _call_confirm(card: dict[str, Any]) -> str:
    for block in card.get("blocks") or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == "dial_customer":
            return str(accessory["confirm"]["text"]["text"])
    return ""


def _has_result(data: dict[str, Any]) -> bool:
    return any(b.get("type") == "actions" for b in data.get("blocks") or [])


def _blocks(args: Any) -> list[dict[str, Any]]:
    if not isinstance(args, dict):
        return []
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if isinstance(args.get("view"), str):
        return _blocks(json.loads(args["view"]))
    return blocks if isinstance(blocks, list) else []


def _calls(stack: Stack) -> int:
    stats = stack.simulator_stats
    return stats.total_requests if stats is not None else 0


async def run_demo(out: TextIO) -> int:
    print("Starting the Wolkvox simulator, a Slack stand-in and the bot on loopback…", file=out)
    async with local_stack(
        simulator=SimulatorConfig(latency=0.3, shift_days=days_to_today()),
        validate_blocks=False,
        env={"WOLKVOX_LANG": "es", "WOLKVOX_AGENTS": f"{AGENT}:12004"},  # Ana's extension
    ) as stack:
        stack.bot.runtime.audit.stream = io.StringIO()  # audit lines would drown the cards
        print(
            f"bot: {stack.events_url} · simulator: {stack.simulator_url} · channel {CHANNEL}",
            file=out,
        )
        await Script(stack, out).run()
    return 0
