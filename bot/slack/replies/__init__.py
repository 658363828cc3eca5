"""How a surface answers, one module per way of delivering: `response_url` (a private answer,
the ack first for a slash command, Share, Refresh), `conversation` (a post, then its update),
`view` (a modal: one open, a submission's, a new one), `workflow` (a step's outputs). A listener
picks one; `base` holds the protocol and the defaults a new one builds on.

A leaf of the Slack side: the flow, the listeners and the hand-over build on it.
"""

from bot.slack.replies.base import (
    BaseReply,
    CardStyle,
    Reply,
    Route,
    apology_card,
    denial_card,
    restarted_card,
    searching_card,
    shutting_down_card,
)
from bot.slack.replies.conversation import ConversationReply
from bot.slack.replies.response_url import AckReply, PrivateReply, RefreshReply, ShareReply
from bot.slack.replies.view import NewViewReply, SubmissionReply, ViewReply
from bot.slack.replies.workflow import StepReply

__all__ = [
    "AckReply",
    "BaseReply",
    "CardStyle",
    "ConversationReply",
    "NewViewReply",
    "PrivateReply",
    "RefreshReply",
    "Reply",
    "Route",
    "ShareReply",
    "StepReply",
    "SubmissionReply",
    "ViewReply",
    "apology_card",
    "denial_card",
    "restarted_card",
    "searching_card",
    "shutting_down_card",
]
