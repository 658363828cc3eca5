"""`@Wolkvox find 3001234567` in a channel: the card as a reply in the mention's thread.

Slack retries an event it thinks was slow (same event_id, X-Slack-Retry-Num): the first
delivery claims the event id in the shared store, so a retry never causes a second lookup.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack import ids, payloads
from bot.slack.flow import LookupFlow
from bot.slack.replies import CardStyle, ConversationReply
from bot.slack.runtime import Surface


class MentionListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        rt = self.flow.rt
        actor = payloads.actor_from_event(body, event, Surface.MENTION)
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        reply = ConversationReply(  # the channel reads it: shown as a shared card
            rt.web, actor, rt.settings.lang, thread_ts=thread_ts, style=CardStyle(visible=True)
        )
        text = str(event.get("text") or "")
        event_id = str(body.get("event_id") or "")
        await self.flow.conversation(
            event_id, actor, text, reply, payloads.parse_mention, visible=True
        )


def register(app: AsyncApp, flow: LookupFlow) -> None:
    app.event(ids.APP_MENTION)(MentionListener(flow).on_mention)
