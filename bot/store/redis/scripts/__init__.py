"""The Lua scripts the Redis store runs, one `.lua` file each, shipped as package data."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def load_script(name: str) -> str:
    """The text of `<name>.lua` beside this module."""
    return files(__package__).joinpath(f"{name}.lua").read_text(encoding="utf-8")
