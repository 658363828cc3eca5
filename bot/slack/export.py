"""*Export CSV*: the full answer (every record, every field) as a CSV file in the user's DM with
the bot, never in a channel, through Slack's external upload flow
(`files.getUploadURLExternal` → upload → `files.completeUploadExternal`).

Rows stream into a spooled temporary file (memory up to SPOOL_MEMORY, then disk), UTF-8 with a
BOM so Excel reads accents right. The call to Wolkvox goes through the guard like any lookup
(it is a re-fetch: the cache keeps only summaries) and is audited (surface `export`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp

from bot.errors import LookupFailure
from bot.i18n import t, tn
from bot.query import Query, mask_phone
from bot.slack import cards
from bot.slack.delivery import call_web_safely
from bot.slack.runtime import Actor, SlackRuntime, Surface, new_error_id

log = logging.getLogger(__name__)

SPOOL_MEMORY = 4 * 1024 * 1024  # a small export stays in memory; a big one goes to disk
UPLOAD_TIMEOUT = 120.0

Note = Callable[[cards.Card], Awaitable[None]]


def file_name(query: Query, now: float) -> str:
    """`wolkvox-phone-4567-20261202-2130.csv`: the last 4 characters only, as masked cards show."""
    stamp = time.strftime("%Y%m%d-%H%M", time.gmtime(now))
    kind, value = ("phone", query.phone) if query.phone else ("id", query.customer_id)
    tail = "".join(c for c in value[-4:] if c.isalnum()) or "x"
    return f"wolkvox-{kind}-{tail}-{stamp}.csv"


class CsvExport:
    def __init__(self, rt: SlackRuntime) -> None:
        self.rt = rt

    async def run(self, actor: Actor, query: Query, lang: str, note: Note) -> None:
        """Fetch, write, upload to the user's DM, then tell them (or why not) through `note`."""
        rt = self.rt
        mask = mask_phone if rt.settings.mask_phones == "always" else None
        started = time.monotonic()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, mode="w+b") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="", write_through=True)
            error: LookupFailure | None = None
            rows = 0
            try:
                rows = await rt.service.export(query, text, mask=mask)
            except LookupFailure as failure:
                error = failure
            except Exception:
                error_id = new_error_id()
                log.exception("export failed unexpectedly (error id %s)", error_id)
                await note(
                    cards.render_error(LookupFailure("export"), lang=lang, error_id=error_id)
                )
                return
            self._audit(actor, query, rows, error, started)
            if error is not None:
                await note(cards.render_error(error, lang=lang))
                return
            text.flush()
            size = raw.tell()
            raw.seek(0)
            uploaded = await self._upload(actor, query, raw, size, rows, lang)
            text.detach()
        if uploaded:
            await note(
                cards.notice_card("✅", t(lang, "export_done", rows=tn(lang, "records", rows)))
            )
        else:
            await note(cards.notice_card("⚠️", t(lang, "export_upload_failed")))

    async def _upload(
        self, actor: Actor, query: Query, raw: Any, size: int, rows: int, lang: str
    ) -> bool:
        web = self.rt.web
        opened = await call_web_safely(web, "conversations_open", users=actor.user_id)
        dm = str(((opened or {}).get("channel") or {}).get("id") or "")
        if not dm:
            return False
        name = file_name(query, self.rt.clock())
        got = await call_web_safely(web, "files_getUploadURLExternal", filename=name, length=size)
        if not got or not got.get("upload_url") or not got.get("file_id"):
            return False
        try:
            timeout = aiohttp.ClientTimeout(total=UPLOAD_TIMEOUT)
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(
                    str(got["upload_url"]),
                    data=_chunks(raw),
                    headers={"Content-Type": "text/csv", "Content-Length": str(size)},
                ) as resp,
            ):
                if resp.status != 200:
                    log.warning("CSV upload refused: HTTP %d", resp.status)
                    return False
        except (aiohttp.ClientError, TimeoutError) as upload_error:
            log.warning("CSV upload failed: %s", type(upload_error).__name__)
            return False
        done = await call_web_safely(
            web,
            "files_completeUploadExternal",
            files=[{"id": str(got["file_id"]), "title": name}],
            channel_id=dm,
            initial_comment=t(
                lang,
                "export_comment",
                query=cards.inert(cards.describe_query(query, lang, mask=True, mask_id=True), 200),
                rows=tn(lang, "records", rows),
            ),
        )
        return done is not None

    def _audit(
        self, actor: Actor, query: Query, rows: int, error: LookupFailure | None, started: float
    ) -> None:
        # The audit line names the operations the file came from (what was asked, when unknown).
        with contextlib.suppress(LookupFailure):
            query = replace(query, operation=",".join(self.rt.service.searched(query)))
        self.rt.account(
            actor,
            query,
            refresh=True,
            started=started,
            error=error,
            surface=Surface.EXPORT,
            records=rows,
        )


async def _chunks(raw: Any, size: int = 256 * 1024) -> Any:
    """The spooled file in pieces, so the upload never holds the whole file in memory."""
    while chunk := raw.read(size):
        yield chunk
