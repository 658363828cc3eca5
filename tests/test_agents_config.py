"""Who is which Wolkvox agent, as an administrator writes it: WOLKVOX_AGENTS (one operation),
WOLKVOX_<OP>_AGENTS (several), inline or in a file it names; a bad entry is one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

BASE = {"WOLKVOX_SERVER": "0042", "WOLKVOX_TOKEN": "t"}


def test_inline_pairs() -> None:
    s = load_settings({**BASE, "WOLKVOX_AGENTS": "U0123ABCD:12004, W0ABCDEF=12005"}, dotenv=False)
    assert s.operations[0].agents == {"U0123ABCD": "12004", "W0ABCDEF": "12005"}


def test_a_file_it_names(tmp_path: Path) -> None:
    listed = tmp_path / "agents.txt"
    listed.write_text("# team A\nU0123ABCD:12004\n\nU0456EFGH:12005  # night shift\n")
    s = load_settings({**BASE, "WOLKVOX_AGENTS": f"@{listed}"}, dotenv=False)
    assert s.operations[0].agents == {"U0123ABCD": "12004", "U0456EFGH": "12005"}


def test_per_operation_and_not_global_beside_operations() -> None:
    ops = {
        "WOLKVOX_OPERATIONS": "co,ec",
        "WOLKVOX_CO_SERVER": "1",
        "WOLKVOX_CO_TOKEN": "a",
        "WOLKVOX_CO_AGENTS": "U0123ABCD:12004",
        "WOLKVOX_EC_SERVER": "2",
        "WOLKVOX_EC_TOKEN": "b",
    }
    s = load_settings(ops, dotenv=False)
    assert [op.agents for op in s.operations] == [{"U0123ABCD": "12004"}, {}]
    with pytest.raises(ConfigError) as caught:
        load_settings({**ops, "WOLKVOX_AGENTS": "U0123ABCD:1"}, dotenv=False)
    assert caught.value.variable == "WOLKVOX_AGENTS"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("U0123ABCD", "entry 1"),
        ("U0123ABCD:12004,alice:12005", "entry 2"),
        ("U0123ABCD:12a", "entry 1"),
        ("@/nonexistent/agents.txt", "cannot read"),
    ],
)
def test_a_bad_mapping_is_one_line(value: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**BASE, "WOLKVOX_AGENTS": value}, dotenv=False)
    assert caught.value.variable == "WOLKVOX_AGENTS" and says in str(caught.value)
    assert "\n" not in str(caught.value)
