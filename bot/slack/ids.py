"""The app's public contract with Slack, and Slack's limits: one home for both.

Every callback id, action id and input id that `manifest.yml`, the listeners, the cards and the
tests name comes from here, so a renamed id cannot drift between them. Operators configure
these in the Slack app's settings; scripts rely on them: keep them exactly.
"""

from __future__ import annotations

import re
from typing import Final

# --- the app's ids (see manifest.yml) ---------------------------------------------------------
COMMAND: Final = "/wolkvox"
MESSAGE_SHORTCUT: Final = "find_in_wolkvox"
GLOBAL_SHORTCUT: Final = "wolkvox_search"
SEARCH_CALLBACK_ID: Final = "wolkvox_search_submit"
APP_MENTION: Final = "app_mention"
MESSAGE_EVENT: Final = "message"  # delivered for the manifest's `message.im` subscription
MESSAGE_IM: Final = "message.im"
ACTION_SHARE: Final = "share_card"
ACTION_REFRESH: Final = "refresh_card"
ACTION_SHOW_ALL: Final = "show_all"
ACTION_EXPORT_CSV: Final = "export_csv"  # a card that leaves records out: the full answer as CSV
ACTION_DIAL: Final = "dial_customer"  # *Call* beside a phone on a private card; /wolkvox call
ACTION_LINK_EXTENSION: Final = "link_extension"  # the Home tab's *My Wolkvox extension*
ACTION_UNLINK_EXTENSION: Final = "unlink_extension"
LINK_CALLBACK_ID: Final = "link_extension_submit"  # the extension modal's submission
INPUT_EXTENSION: Final = "extension"
APP_HOME_OPENED: Final = "app_home_opened"
FUNCTION_FIND_CUSTOMER: Final = "find_customer"  # the Workflow Builder step (manifest functions)
ACTION_HOME_SEARCH: Final = "home_search"  # the home tab's *Search Wolkvox* button
ACTION_SEARCH_AGAIN: Final = "search_again"  # a recent lookup's button on the home tab

# Search modal: block_id == action_id for each input, so a value is state.values[x][x].value.
INPUT_PHONE: Final = "phone"
INPUT_CUSTOMER_ID: Final = "customer_id"
INPUT_CAMPAIGN_ID: Final = "campaign_id"
INPUT_OPERATION: Final = "operation"  # a picker, only when several operations are served
SEARCH_INPUTS: Final = (INPUT_PHONE, INPUT_CUSTOMER_ID, INPUT_CAMPAIGN_ID, INPUT_OPERATION)
INPUT_MAX_LENGTH: Final[dict[str, int]] = {
    INPUT_PHONE: 40,
    INPUT_CUSTOMER_ID: 40,
    INPUT_CAMPAIGN_ID: 12,
}

# --- Slack's limits (https://docs.slack.dev/reference/block-kit) ------------------------------
MAX_MESSAGE_BLOCKS: Final = 50
MAX_MODAL_BLOCKS: Final = 100
MAX_HOME_BLOCKS: Final = 100
MAX_TEXT: Final = 3000
MAX_FIELD_TEXT: Final = 2000
MAX_FIELDS: Final = 10
MAX_HEADER: Final = 150
MAX_BUTTON_VALUE: Final = 2000
MAX_MODAL_TITLE: Final = 24
# All text of one message. Slack's undocumented cumulative cap is roughly 11-13k characters
# (bolt-js issues #2509, #2867): a message card stays well under it. A modal's cap is not known
# to be lower than a message's, so its 100 blocks keep the older, larger budget.
TEXT_BUDGET: Final = 8_000
MODAL_TEXT_BUDGET: Final = 11_000
MAX_FALLBACK_TEXT: Final = 300


def action_pattern(action_id: str) -> re.Pattern[str]:
    """Matches `action_id` and its `#n` variants (cards inside `render_multi`)."""
    return re.compile(rf"^{re.escape(action_id)}(?:#\d+)?$")


def base_action_id(action_id: str) -> str:
    """`share_card#2` → `share_card`."""
    return action_id.split("#", 1)[0]
