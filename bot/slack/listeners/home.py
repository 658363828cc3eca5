"""The App Home tab: published on `app_home_opened`; its *Search Wolkvox* button opens the
search modal; a recent lookup's *Search again* runs it anew in a modal (sealed value, the same
gate as any search); *Link my extension* opens the form that maps the user to their Wolkvox
extension (checked with Wolkvox), *Unlink* forgets it."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.i18n import t
from bot.slack import cards, ids, payloads
from bot.slack.cards.home import link_modal
from bot.slack.delivery import call_web_safely
from bot.slack.flow import Ask, LookupFlow
from bot.slack.replies import ViewReply
from bot.slack.runtime import Surface


class HomeListener:
    def __init__(self, flow: LookupFlow) -> None:
        self.flow = flow

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") != "home" or not event.get("user"):
            return  # the Messages tab, or a payload without a user: nothing to publish
        actor = payloads.actor_from_event(body, event, Surface.HOME)
        async with self.flow.rt.tracked():
            await self.flow.home.opened(actor)

    async def on_home_search(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.MODAL)
        await self.flow.open_search(
            Ask(actor, rt.lang_now(actor), None), str(body.get("trigger_id") or "")
        )

    async def on_search_again(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.HOME)
        lang = rt.lang_now(actor)
        opened = rt.sealer.open(payloads.button_value(body))
        # A lookup that hid phones and ids (made from a shared card) is shown hidden again.
        ask = Ask(actor, lang, None, origin_concealed=opened is None or opened.concealed)
        if opened is None:  # forged, or older than a sealed value lives
            view = cards.result_modal(cards.render_stale_button(ask.lang), ask.lang)
            await call_web_safely(
                rt.web, "views_open", trigger_id=body.get("trigger_id"), view=view
            )
            return
        # The modal first (the trigger dies in 3 s), then the one lookup flow fills it.
        shown = await call_web_safely(
            rt.web,
            "views_open",
            trigger_id=body.get("trigger_id"),
            view=cards.loading_modal(ask.lang),
        )
        view_id = str(((shown or {}).get("view") or {}).get("id") or "")
        reply = ViewReply(rt.web, view_id, actor.user_id, ask.lang)
        await self.flow.find(ask, [opened.query], reply)

    async def on_link_extension(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """*Link my extension*: the form (for someone who may search; self-link on)."""
        await ack()
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.HOME)
        lang = rt.lang_now(actor)
        if not rt.settings.agent_self_link or not await self.flow.may_search(actor):
            view = cards.result_modal(cards.notice_card("🚫", t(lang, "link_off")), lang)
        else:  # the operations the user's groups are pinned to, else all
            view = link_modal(lang, await self.flow.pickable_operations(Ask(actor, lang, None)))
        await call_web_safely(rt.web, "views_open", trigger_id=body.get("trigger_id"), view=view)

    async def on_link_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        """The form sent: checked against Wolkvox's agents (an enabled extension), saved, the
        tab republished; a wrong extension is said on its field."""
        rt = self.flow.rt
        actor = payloads.actor_from_body(body, Surface.HOME)
        lang = rt.lang_now(actor)
        fields = payloads.view_inputs(view, (ids.INPUT_EXTENSION, ids.INPUT_OPERATION))
        extension = fields.get(ids.INPUT_EXTENSION, "")[:40].strip()
        key = fields.get(ids.INPUT_OPERATION, "")[:40]
        pickable = [k for k, _ in await self.flow.pickable_operations(Ask(actor, lang, None))]
        if not await self.flow.may_search(actor) or (key or pickable[0]) not in pickable:
            await ack(response_action="errors", errors={ids.INPUT_EXTENSION: t(lang, "link_off")})
            return
        why = await self.flow.dialing.link(actor, key or pickable[0], extension)
        if why is not None:
            await ack(response_action="errors", errors={ids.INPUT_EXTENSION: t(lang, why)})
            return
        await ack()
        await self.flow.home.publish(actor)

    async def on_unlink_extension(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        actor = payloads.actor_from_body(body, Surface.HOME)
        for op in self.flow.rt.settings.operations:
            await self.flow.dialing.unlink(actor, op.key)
        await self.flow.home.publish(actor)


def register(app: AsyncApp, flow: LookupFlow) -> None:
    listener = HomeListener(flow)
    app.event(ids.APP_HOME_OPENED)(listener.on_home_opened)
    app.action(ids.ACTION_HOME_SEARCH)(listener.on_home_search)
    app.action(ids.action_pattern(ids.ACTION_SEARCH_AGAIN))(listener.on_search_again)
    app.action(ids.ACTION_LINK_EXTENSION)(listener.on_link_extension)
    app.action(ids.ACTION_UNLINK_EXTENSION)(listener.on_unlink_extension)
    app.view(ids.LINK_CALLBACK_ID)(listener.on_link_submit)
