"""The benchmark package imports and its pure helpers are right. Runs no benchmark."""

from __future__ import annotations

import pytest

from bench import Metric, format_table, markdown_table, percentile, summarize


def test_modules_import_and_scenarios_are_registered() -> None:
    import bench.__main__ as runner
    import bench.harness
    import bench.simproc
    from bench.scenarios import SCENARIOS

    assert set(SCENARIOS) == {
        "burst",
        "burst-1loop",
        "no-guard",
        "big",
        "light-acks",
        "long-messages",
        "stuck",
        "export",
        "flood",
        "steady",
        "redis",
        "operations",
        "dial",
    }
    assert callable(runner.main) and callable(bench.simproc.main)
    assert bench.harness.REPO.joinpath("bench", "__init__.py").is_file()


def test_the_operations_scenario_configures_what_the_simulator_accepts() -> None:
    from bench.scenarios import operations_env
    from bench.simproc import OPERATION_TOKENS
    from bot.config import load_settings

    env = operations_env([f"http://127.0.0.1:9/op{i}" for i in range(41)])
    settings = load_settings(env, dotenv=False)
    assert len(settings.operations) == 41
    assert {t.reveal() for op in settings.operations for t in op.tokens} <= OPERATION_TOKENS


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5.0], 99, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([4.0, 1.0, 3.0, 2.0], 50, 2.5),  # unsorted input, interpolated median
        ([10.0, 20.0], 25, 12.5),
        (list(map(float, range(1, 41))), 99, 39.61),  # p99 of 40 is not simply the max
    ],
)
def test_percentile_interpolates_between_ranks(
    values: list[float], p: float, expected: float
) -> None:
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_refuses_empty_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)
    assert summarize([]) == {"p50": 0.0, "p99": 0.0, "max": 0.0}
    assert summarize([0.1, 0.3, 0.2])["max"] == 0.3


def test_table_shows_values_targets_and_misses() -> None:
    rows = [
        Metric("burst", "ack p99", 76.66, "ms", "< 100 ms", True),
        Metric("big", "peak RSS", 207.4, "MB", "< 150 MB", False),
        Metric("steady", "calls", 1234),
        Metric("redis", "calls / distinct", "25 / 25", "", "calls = distinct", True),
    ]
    text = format_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["scenario", "metric", "value", "target", "met?"]
    assert "76.7 ms" in lines[2] and lines[2].endswith("yes")
    assert "207 MB" in lines[3] and lines[3].endswith("NO")
    assert "1,234" in lines[4] and not lines[4].endswith(("yes", "NO"))
    # columns line up: every "value" cell starts at the same offset
    offset = lines[0].index("value")
    assert all(line[offset - 2 : offset] == "  " for line in lines[2:])

    md = markdown_table([*rows, Metric("x", "a|b", 1.0)]).splitlines()
    assert md[0] == "| scenario | metric | value | target | met? |"
    assert md[1] == "|---|---|---|---|---|"
    assert "a\\|b" in md[-1] and len(md) == 2 + 5


def test_burst_and_steady_workloads_have_the_specified_shape() -> None:
    from bench.scenarios import BURST_DISTINCT, BURST_IDENTICAL, burst_texts, steady_texts

    texts = burst_texts()
    assert len(texts) == BURST_DISTINCT + BURST_IDENTICAL == 40
    counts = sorted((texts.count(t) for t in set(texts)), reverse=True)
    assert counts == [16] + [1] * 24
    assert burst_texts() == texts  # deterministic

    steady = steady_texts(1000)
    repeats = len(steady) - len(set(steady))
    assert 0.75 < repeats / len(steady) < 0.85
