"""Shared state behind one interface: in-process (default) or Redis (`REDIS_URL`)."""
