"""The Redis backend of the store: several bot processes share one token's limits."""

from bot.store.redis.store import RedisStore

__all__ = ["RedisStore"]
