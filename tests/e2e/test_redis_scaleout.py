"""Scale-out over Redis (issue 5), end to end with real processes.

Two (or more) `python -m bot serve` processes share one Wolkvox token and one real
`redis-server`; the Wolkvox simulator and FakeSlack run in this test process, so the simulator
sees every upstream request of every instance and records the most it ever had in flight on the
token (`max_concurrent`, refused calls included): a broken distributed guard fails these tests.
A control run without Redis shows that the simulator does catch two unguarded instances.

Also here: an instance SIGKILLed while it holds the token's slot (the other gets the slot back
when the lease runs out, nothing is answered twice), Redis lost and restarted while running (a
clear card, no upstream call, recovery by itself; `/healthz` and `/wolkvox status` tell), Redis
unreachable at start-up (exit 1, one line), and a Slack event retry landing on another instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.devtools.fakeslack import requests as sr
from bot.devtools.fakeslack.server import FakeSlack
from bot.devtools.process import clean_env, free_port, start_bot
from bot.devtools.stack import AGENT, CHANNEL, TEAM, local_stack, post_slash_command
from bot.devtools.wolkvox_sim.data import build_demo_data
from bot.devtools.wolkvox_sim.server import (
    DEMO_NUMBERS,
    SHARED_PHONE,
    SHOWCASE_PHONE,
    SLOW_PHONE,
    STATS,
    QueryKey,
    SimulatorConfig,
    SimulatorStats,
    serve_simulator,
)
from bot.i18n import t
from tests.blockkit import assert_valid_message
from tests.e2e.conftest import ack_json, is_searching, text_of
from tests.redis_server import RedisServer

TOKEN = "WVTOKEN-scaleout-7Rk2Lq9ZxW4"
BOT_TOKEN = "xoxb-scaleout-test-3Jd8Np1Vc6"
SIGNING_SECRET = "scaleout-signing-secret-5Gm8Tq2Hy"
LANG = "en"
START_TIMEOUT = 30.0


def generated_numbers(n: int) -> list[str]:
    """Mobile numbers of n ordinary generated customers (records, no special behaviour)."""
    data = build_demo_data()
    numbers = sorted(
        p
        for p in data.by_phone
        if len(p) == 10 and p.startswith("3") and not p.startswith("30000")
        if p not in DEMO_NUMBERS and p != SHARED_PHONE
    )
    assert len(numbers) >= n
    return numbers[:n]


def find_calls_for(stats: SimulatorStats, phone: str) -> int:
    return stats.queries[QueryKey("find_record", "", phone, "")]


async def eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(0.02)


@dataclass
class BotProcess:
    """One `python -m bot serve` child process listening on its own PORT."""

    name: str
    port: int
    proc: asyncio.subprocess.Process
    stderr_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")[-3000:]

    async def kill(self) -> None:
        """SIGKILL: no drain, no release, no goodbye (a crashed dyno)."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                await self.kill()


@dataclass
class Cluster:
    """Bot processes + the simulator and FakeSlack they share (both in this process)."""

    bots: list[BotProcess]
    slack: FakeSlack
    sim: web.Application
    http: aiohttp.ClientSession

    @property
    def stats(self) -> SimulatorStats:
        return self.sim[STATS]

    def logs(self) -> str:
        return "\n".join(f"--- {b.name} stderr ---\n{b.logs()}" for b in self.bots)

    async def command(self, bot: BotProcess, text: str) -> tuple[dict[str, Any], str]:
        """`/wolkvox <text>` signed as Slack does; returns (ack body, response_url)."""
        status, ack, _, url = await post_slash_command(
            self.http, f"{bot.base}/slack/events", SIGNING_SECRET, self.slack, text
        )
        assert status == 200, f"{bot.name} answered HTTP {status}\n{self.logs()}"
        return ack_json(ack), url

    async def answer(
        self, bot: BotProcess, text: str, timeout: float = 15.0
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        """(ack, the card, response_url): the ack when it was the card, else the post after."""
        ack, url = await self.command(bot, text)
        if not is_searching(ack):
            return ack, ack, url
        [post] = await self.slack.wait_for_response(url, timeout=timeout)
        assert isinstance(post.body, dict)
        return ack, post.body, url

    async def mention(
        self, bot: BotProcess, text: str, event_id: str, headers: Mapping[str, str] | None = None
    ) -> int:
        body = sr.app_mention_event_body(
            f"<@{self.slack.bot_user_id}> {text}",
            event_id=event_id,
            channel=CHANNEL,
            user=AGENT,
            ts="1764000000.000100",
            team_id=TEAM,
            bot_user_id=self.slack.bot_user_id,
        )
        status, _, _ = await sr.post_signed(
            self.http, f"{bot.base}/slack/events", body, sr.JSON, SIGNING_SECRET, headers
        )
        return status

    async def health(self, bot: BotProcess) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"{bot.base}/healthz") as resp:
            body: dict[str, Any] = await resp.json()
            return resp.status, body

    def assert_cards_valid(self) -> None:
        """Every message and response_url post the instances sent is Block Kit Slack accepts."""
        for call in self.slack.calls():
            if call.method.startswith("chat.") and call.args.get("blocks"):
                assert_valid_message(call.args["blocks"])
        for post in self.slack.responses():
            if isinstance(post.body, dict) and post.body.get("blocks"):
                assert_valid_message(post.body["blocks"])

    async def settle(self) -> None:
        """Wait until no instance has a lookup in flight, then a little longer for late posts."""
        for bot in self.bots:
            if bot.proc.returncode is not None:
                continue
            for _ in range(500):
                _, body = await self.health(bot)
                if body["in_flight"] == 0:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError(f"{bot.name} still busy\n{self.logs()}")
        await asyncio.sleep(0.3)


async def start_instance(
    name: str, env: Mapping[str, str], tmp: Path
) -> tuple[BotProcess, asyncio.subprocess.Process]:
    port = free_port()
    stderr_path = tmp / f"{name}.stderr"
    with stderr_path.open("wb") as err:
        proc = await start_bot(
            clean_env({**env, "PORT": str(port)}),
            cwd=tmp,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )
    return BotProcess(name, port, proc, stderr_path), proc


async def wait_until_serving(http: aiohttp.ClientSession, bot: BotProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if bot.proc.returncode is not None:
            raise AssertionError(f"{bot.name} exited with {bot.proc.returncode}\n{bot.logs()}")
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"{bot.base}/healthz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{bot.name} did not serve within {START_TIMEOUT:g} s\n{bot.logs()}")


@contextlib.asynccontextmanager
async def cluster(
    tmp: Path,
    *,
    redis_url: str | None,
    instances: int = 2,
    sim: SimulatorConfig | None = None,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Cluster]:
    """Start the simulator, FakeSlack and `instances` bot processes sharing one token."""
    async with (
        serve_simulator(sim or SimulatorConfig(latency=0.1)) as (wolkvox_url, sim_app),
        FakeSlack(token=BOT_TOKEN) as slack,
        aiohttp.ClientSession() as http,
    ):
        slack.add_user(AGENT, name="ana.agente", locale="en-US")
        settings = {
            "WOLKVOX_BASE_URL": wolkvox_url,
            "WOLKVOX_TOKEN": TOKEN,
            "WOLKVOX_MAX_CONCURRENCY": "1",
            "WOLKVOX_LANG": LANG,
            "WOLKVOX_SHUTDOWN_GRACE": "2",
            "SLACK_API_URL": slack.api_url,
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            **({"REDIS_URL": redis_url} if redis_url else {}),
            **(env or {}),
        }
        bots: list[BotProcess] = []
        try:
            for i in range(instances):
                bot, _ = await start_instance("ABCDEFGH"[i], settings, tmp)
                bots.append(bot)
            await asyncio.gather(*(wait_until_serving(http, b) for b in bots))
            c = Cluster(bots, slack, sim_app, http)
            yield c
            await c.settle()
            c.assert_cards_valid()
        finally:
            await asyncio.gather(*(b.stop() for b in bots))
        for bot in bots:
            assert TOKEN not in bot.logs() and TOKEN[-8:] not in bot.logs()


def assert_result_card(card: dict[str, Any], phone: str) -> None:
    text = str(card.get("text", ""))
    assert text.startswith("Wolkvox · "), card
    assert phone[-4:] in text_of(card), (phone, text)


# --------------------------------------------------------------------------- the burst


async def test_burst_over_two_processes_holds_the_token_limit_and_shares_answers(
    tmp_path: Path, redis_url: str
) -> None:
    distinct = generated_numbers(6)
    identical = [SHOWCASE_PHONE] * 6 + [SHARED_PHONE] * 4
    burst = distinct + identical
    async with cluster(tmp_path, redis_url=redis_url) as c:
        a, b = c.bots
        # Interleaved: every other command to the other instance, all at once.
        order = [x for pair in zip(distinct, identical, strict=False) for x in pair]
        order += identical[len(distinct) :]
        assert sorted(order) == sorted(burst)
        targets = [a if i % 2 == 0 else b for i in range(len(order))]
        results = await asyncio.gather(
            *(
                c.answer(bot, f"find {phone}", timeout=30)
                for bot, phone in zip(targets, order, strict=True)
            )
        )
        for phone, (_, card, _) in zip(order, results, strict=True):
            assert_result_card(card, phone)

        stats = c.stats
        assert stats.max_concurrent[TOKEN] == 1, (
            f"{stats.max_concurrent[TOKEN]} requests in flight on one token (limit 1)"
        )
        assert sum(stats.refusals.values()) == 0, dict(stats.refusals)
        for phone in set(order):
            assert find_calls_for(stats, phone) == 1, (phone, find_calls_for(stats, phone))
        assert stats.find_record_calls() == len(set(order))
        # Each instance fetches the campaign names once; nothing else reached Wolkvox.
        assert stats.total_requests == len(set(order)) + stats.queries[QueryKey("campaigns")]
        assert stats.queries[QueryKey("campaigns")] <= 2

        await c.settle()
        for _, _, url in results:  # every command got exactly one card, none twice
            assert len(c.slack.responses(url)) <= 1

        # Answered by A, then served by B from the shared cache: no new upstream call.
        [fresh] = generated_numbers(7)[6:]
        _, card_a, _ = await c.answer(a, f"find {fresh}")
        assert_result_card(card_a, fresh)
        assert find_calls_for(c.stats, fresh) == 1
        ack_b, card_b, url_b = await c.answer(b, f"find {fresh}")
        assert card_b is ack_b  # at hand at once: the ack is the card
        assert_result_card(card_b, fresh)
        assert t(LANG, "age_cache", ago="").split(",")[0] in text_of(card_b)  # "From cache"
        assert find_calls_for(c.stats, fresh) == 1
        await c.settle()
        assert c.slack.responses(url_b) == []

        # Both report the shared store, healthy, in /healthz and /wolkvox status.
        for bot in (a, b):
            status, body = await c.health(bot)
            assert status == 200 and body["status"] == "ok"
            assert body["store"]["backend"] == "redis" and body["store"]["ok"] is True
        status_ack, _ = await c.command(b, "status")
        assert t(LANG, "status_backend_ok", backend="redis") in text_of(status_ack)


async def test_control_without_redis_the_stand_in_catches_two_unguarded_instances(
    tmp_path: Path,
) -> None:
    """Each process alone keeps to the limit, but two of them without Redis exceed it: proof
    that the burst test above can fail."""
    async with cluster(tmp_path, redis_url=None, sim=SimulatorConfig(latency=0.4)) as c:
        a, b = c.bots
        phones = generated_numbers(4)
        await asyncio.gather(
            *(c.answer(bot, f"find {p}") for bot, p in zip([a, b, a, b], phones, strict=True))
        )
        assert c.stats.max_concurrent[TOKEN] == 2


# --------------------------------------------------------------------------- crash


async def test_killed_slot_holder_gives_the_slot_back_within_the_lease(
    tmp_path: Path, redis_url: str
) -> None:
    # WOLKVOX_TIMEOUT: A must be killed within it (else its call times out and frees the slot);
    # the slot lease is timeout + 5 s.
    timeout = 3
    lease = timeout + 5
    sim = SimulatorConfig(latency=0.05, slow_seconds=60)
    env = {"WOLKVOX_TIMEOUT": str(timeout)}
    async with cluster(tmp_path, redis_url=redis_url, sim=sim, env=env) as c:
        a, b = c.bots
        slow_ack, slow_url = await c.command(a, f"find {SLOW_PHONE}")
        assert is_searching(slow_ack)
        await eventually(
            lambda: c.stats.in_flight[TOKEN] == 1 and find_calls_for(c.stats, SLOW_PHONE) == 1,
            10,
            "A's slow call at Wolkvox",
        )
        phones = generated_numbers(3)
        waiting = await asyncio.gather(*(c.command(b, f"find {p}") for p in phones))
        for ack, _ in waiting:
            assert is_searching(ack)  # queued behind A's slot

        async def queued() -> bool:
            _, body = await c.health(b)
            return bool(body["queue_depth"] >= 1)

        for _ in range(100):
            if await queued():
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("B never queued for the token")
        assert c.stats.find_record_calls() == 1  # B is waiting, not calling

        await a.kill()  # SIGKILL while holding the slot: its lease is never released
        killed_at = time.monotonic()
        posts = [
            (await c.slack.wait_for_response(url, timeout=lease + 15))[0] for _, url in waiting
        ]
        first = min(p.at for p in posts)  # FakeSlack's clock is time.monotonic
        # The dead holder's lease ran out (it was last renewed at most lease/3 before the kill):
        # not at once, since SIGKILL released nothing, and not much later than the lease.
        assert lease / 3 <= first - killed_at <= lease + 3, (
            f"slot back after {first - killed_at:.1f} s"
        )
        for phone, post in zip(phones, posts, strict=True):
            assert isinstance(post.body, dict)
            assert_result_card(post.body, phone)

        await c.settle()
        for _, url in waiting:
            assert len(c.slack.responses(url)) == 1  # answered once
        assert c.slack.responses(slow_url) == []  # died with A; nobody answered it late
        assert c.stats.max_concurrent[TOKEN] == 1
        assert sum(c.stats.refusals.values()) == 0, dict(c.stats.refusals)
        assert find_calls_for(c.stats, SLOW_PHONE) == 1
        for phone in phones:
            assert find_calls_for(c.stats, phone) == 1


# --------------------------------------------------------------------------- event retries


async def test_event_retry_on_the_other_instance_is_answered_once(
    tmp_path: Path, redis_url: str
) -> None:
    async with cluster(tmp_path, redis_url=redis_url) as c:
        a, b = c.bots
        event_id = "Ev0SCALEOUT1"
        assert await c.mention(a, f"find {SHOWCASE_PHONE}", event_id) == 200
        retry = sr.retry_headers(1)
        assert await c.mention(b, f"find {SHOWCASE_PHONE}", event_id, retry) == 200
        await c.slack.wait_for("chat.update", ok=True, timeout=10)
        await c.settle()
        assert find_calls_for(c.stats, SHOWCASE_PHONE) == 1
        assert len(c.slack.calls("chat.postMessage")) == 1
        assert len(c.slack.calls("chat.update")) == 1
        [message] = c.slack.messages(CHANNEL)
        assert str(message.get("text", "")).startswith("Wolkvox · ")


# --------------------------------------------------------------------------- Redis lost


async def test_redis_lost_while_running_then_back(redis_server: RedisServer) -> None:
    env = {"WOLKVOX_TOKEN": TOKEN, "REDIS_URL": redis_server.url, "WOLKVOX_LANG": LANG}
    async with local_stack(env=env, simulator=SimulatorConfig(latency=0.02)) as s:
        s.slack.add_user(AGENT, name="ana.agente", locale="en-US")
        assert s.simulator_stats is not None
        before, after = generated_numbers(2)

        async def answer(text: str) -> dict[str, Any]:
            _, ack, _, url = await s.command(text)
            body = ack_json(ack)
            if not is_searching(body):
                return body
            [post] = await s.slack.wait_for_response(url, timeout=10)
            assert isinstance(post.body, dict)
            return post.body

        async def healthz() -> tuple[int, dict[str, Any]]:
            async with s.session.get(s.health_url) as resp:
                body: dict[str, Any] = await resp.json()
                return resp.status, body

        assert_result_card(await answer(f"find {before}"), before)
        assert (await healthz())[0] == 200

        redis_server.stop()
        requests = s.simulator_stats.total_requests
        card = await answer(f"find {after}")
        shown = text_of(card)
        assert t(LANG, "error_store_unavailable_title") in shown, card
        assert "Traceback" not in shown and "redis://" not in shown
        card = await answer(f"find {before}")  # cached before: the cache is in Redis too
        assert t(LANG, "error_store_unavailable_title") in text_of(card), card
        # A mention (its event dedupe needs the store first) is told privately, too.
        status_code, _, _, _ = await s.mention(f"find {after}")
        assert status_code == 200
        [note] = await s.slack.wait_for("chat.postEphemeral", timeout=10)
        assert t(LANG, "error_store_unavailable_title") in text_of(note.args["blocks"])
        assert s.slack.calls("chat.postMessage") == []  # nothing in the channel
        assert s.simulator_stats.total_requests == requests  # never around the guard

        for _ in range(150):  # probes share one reading of the state a second
            status, body = await healthz()
            if status == 503:
                break
            await asyncio.sleep(0.02)
        assert status == 503 and body["status"] == "degraded"
        assert body["store"]["backend"] == "redis" and body["store"]["ok"] is False
        _, ack, _, _ = await s.command("status")
        assert t(LANG, "status_backend_down", backend="redis") in text_of(ack_json(ack))

        redis_server.start()  # same port, empty
        for _ in range(250):
            status, body = await healthz()
            if status == 200:
                break
            await asyncio.sleep(0.02)
        assert status == 200 and body["store"]["ok"] is True
        assert_result_card(await answer(f"find {after}"), after)
        _, ack, _, _ = await s.command("status")
        assert t(LANG, "status_backend_ok", backend="redis") in text_of(ack_json(ack))
        assert s.simulator_stats.max_concurrent[TOKEN] == 1


async def test_redis_unreachable_at_start_exits_1_with_one_line(tmp_path: Path) -> None:
    password = "s3cret-redis-pw-Xq81"
    env = {
        "WOLKVOX_BASE_URL": "http://127.0.0.1:9",
        "WOLKVOX_TOKEN": TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "REDIS_URL": f"redis://:{password}@127.0.0.1:{free_port()}/0",  # nothing listens
        "PORT": str(free_port()),
    }
    proc = await start_bot(
        clean_env(env), cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    stderr = err.decode("utf-8", "replace")
    assert proc.returncode == 1, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Redis" in lines[0] and "127.0.0.1" in lines[0], lines[0]
    assert "Traceback" not in stderr
    for secret in (password, TOKEN, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in stderr and secret not in out.decode("utf-8", "replace")


# --------------------------------------------------------------------------- hand-over


async def test_a_stopping_instance_hands_its_waiting_lookups_to_the_other(
    tmp_path: Path, redis_url: str
) -> None:
    """SIGTERM on A with a queue of lookups behind the token and WOLKVOX_SHUTDOWN_GRACE=2: what
    A cannot finish in time, B answers (response_urls and the mention's placeholder), each
    once; nobody is told to search again and nobody is left on "searching…"."""
    sim = SimulatorConfig(latency=0.4)
    env = {"WOLKVOX_USER_RATE": "1000"}
    async with cluster(tmp_path, redis_url=redis_url, sim=sim, env=env) as c:
        a, b = c.bots
        phones = generated_numbers(12)
        waiting = [await c.command(a, f"find {p}") for p in phones]
        assert await c.mention(a, f"find {SHOWCASE_PHONE}", "Ev0HANDOVER1") == 200
        await c.slack.wait_for("chat.postMessage", ok=True, timeout=10)  # its placeholder
        a.proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(a.proc.wait(), 15) == 0, a.logs()
        assert "handed" in a.logs()
        for (ack, url), phone in zip(waiting, phones, strict=True):
            if not is_searching(ack):
                continue  # answered in the ack itself
            [post] = await c.slack.wait_for_response(url, timeout=20)
            assert isinstance(post.body, dict)
            assert "restarted" not in text_of(post.body), c.logs()
            assert_result_card(post.body, phone)
        cards: list[Any] = []
        for _ in range(300):  # the mention's placeholder, replaced by whoever answered
            cards = [
                u
                for u in c.slack.calls("chat.update")
                if u.ok and str(u.args.get("text", "")).startswith("Wolkvox · ")
            ]
            if cards:
                break
            await asyncio.sleep(0.05)
        assert len(cards) == 1, c.logs()
        await c.settle()
        for _, url in waiting:
            assert len(c.slack.responses(url)) <= 1  # never twice
        assert c.stats.max_concurrent[TOKEN] == 1
        assert "dropped" not in b.logs() and "Traceback" not in a.logs() + b.logs()
