"""The Slack side: listeners, cards, server. Reaches Wolkvox only through the lookup service."""
