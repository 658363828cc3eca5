"""Direct messages to the bot: "3001234567", "find id 1020304050", "hola, ¿me ayudas con el
300 123 4567?". The answer is posted in the DM, a placeholder then the card; it is private, so
phones show in full unless WOLKVOX_MASK_PHONES=always. The bot never answers its own messages or
other bots' (`bot_id`), edits, deletions or any other message subtype.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack import ids, payloads
from bot.slack.flow import LookupFlow
from bot.slack.replies import ConversationReply
from bot.slack.runtime import Surface


def is_a_person_writing_to_the_bot(event: dict[str, Any]) -> bool:
    """A new message a user typed in their DM with the bot: not a bot's, not an edit."""
    return (
        event.get("channel_type") == "im"
        and not event.get("bot_id")
        and not event.get("subtype")
        and bool(event.get("user"))
        and bool(event.get("text"))
    )


class MessageListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if not is_a_person_writing_to_the_bot(event):
            return
        rt = self.flow.rt
        actor = payloads.actor_from_event(body, event, Surface.DM)
        thread_ts = str(event.get("thread_ts") or "")  # a DM thread keeps its thread
        reply = ConversationReply(rt.web, actor, rt.settings.lang, thread_ts=thread_ts)
        text = str(event.get("text") or "")
        event_id = str(body.get("event_id") or "")
        await self.flow.conversation(
            event_id, actor, text, reply, payloads.parse_message, visible=False
        )


def register(app: AsyncApp, flow: LookupFlow) -> None:
    app.event(ids.MESSAGE_EVENT)(MessageListener(flow).on_message)
