"""The Wolkvox side: client, guard, cache, lookup service. Knows nothing of Slack."""
