"""The App Home tab end to end: published on app_home_opened, republished when the user's own
lookup finishes, *Search again* through the one flow, help only for users not allowed."""

from __future__ import annotations

import pytest

from bot.devtools.stack import AGENT, Stack
from tests.e2e.conftest import (
    SHOWCASE_NAME,
    SHOWCASE_PHONE,
    assert_acked,
    button_values,
    command_answer,
    find_calls,
    settle,
    text_of,
)


async def test_opening_the_home_tab_publishes_help_and_a_search_button(stack: Stack) -> None:
    status, _, elapsed = await stack.open_home()
    assert_acked(status, elapsed)
    [publish] = await stack.slack.wait_for("views.publish", ok=True)
    assert publish.args["user_id"] == AGENT
    home = stack.slack.home_of(AGENT)
    assert home is not None
    text = text_of(home["blocks"])
    assert "Buscar en Wolkvox" in text  # the button, in the user's language (es-LA)
    assert "/wolkvox" in text and "Mensaje directo" in text and "flujo de trabajo" in text
    assert "Aún no has buscado" in text


async def test_the_messages_tab_publishes_nothing(stack: Stack) -> None:
    await stack.open_home(tab="messages")
    await settle(stack)
    assert stack.slack.calls("views.publish") == []


async def test_own_lookup_republishes_the_tab_with_the_masked_query(stack: Stack) -> None:
    await stack.open_home()
    await stack.slack.wait_for("views.publish", ok=True)
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    await stack.slack.wait_for("views.publish", 2, ok=True)
    home = stack.slack.home_of(AGENT)
    assert home is not None
    text = text_of(home["blocks"])
    assert "••••••4567" in text and "encontrado" in text
    [line] = [b for b in home["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert SHOWCASE_PHONE not in str(line)  # masked; the sealed value hides the rest
    assert SHOWCASE_NAME not in str(home)  # no customer data on the home tab


async def test_search_again_opens_a_modal_with_the_card(stack: Stack) -> None:
    await stack.open_home()
    await command_answer(stack, f"find {SHOWCASE_PHONE}")
    await stack.slack.wait_for("views.publish", 2, ok=True)
    status, _, elapsed = await stack.press_in_home("search_again")
    assert_acked(status, elapsed)
    [opened] = await stack.slack.wait_for("views.open", ok=True)
    await stack.slack.wait_for("views.update", ok=True)
    view = stack.slack.view(opened.response["view"]["id"])
    assert SHOWCASE_NAME in text_of(view["blocks"])
    await settle(stack)
    assert find_calls(stack) == 1  # the second lookup was a cache hit, but it went through the gate


async def test_the_list_holds_at_most_ten_newest_first(stack: Stack) -> None:
    await stack.open_home()
    phones = [f"30012300{n:02d}" for n in range(12)]
    for phone in phones:
        await command_answer(stack, f"find {phone}")
    await settle(stack)
    home = stack.slack.home_of(AGENT)
    assert home is not None
    searches = [b for b in home["blocks"] if b.get("accessory", {}).get("type") == "button"]
    assert len(searches) == 10
    assert "0011" in text_of(searches[0]) and "0002" in text_of(searches[-1])
    assert len(set(button_values(searches))) == 10


async def test_the_home_search_button_opens_the_search_modal(stack: Stack) -> None:
    await stack.open_home()
    await stack.slack.wait_for("views.publish", ok=True)
    status, _, elapsed = await stack.press_in_home("home_search")
    assert_acked(status, elapsed)
    [opened] = await stack.slack.wait_for("views.open", ok=True)
    assert opened.args["view"]["callback_id"] == "wolkvox_search_submit"


@pytest.mark.stack_env(WOLKVOX_ALLOWED_USERS="U0SOMEONE")
async def test_a_user_not_allowed_sees_the_help_only(stack: Stack) -> None:
    await stack.open_home()
    await stack.slack.wait_for("views.publish", ok=True)
    home = stack.slack.home_of(AGENT)
    assert home is not None
    text = text_of(home["blocks"])
    assert "Aún no tienes acceso" in text
    assert "Buscar de nuevo" not in text and "Estado del servicio" not in text
    assert not [b for b in home["blocks"] if b.get("type") == "actions"]
