"""The README is a front page and every page it sends a reader to exists: links and anchors
resolve, every setting the code reads is documented, and the benchmarks page is what the latest
run says (written by `make bench`, never by hand)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import report

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
SETTING_RE = re.compile(r'r\.\w+\((?:\s*#[^\n]*)?\s*"([A-Z][A-Z0-9_]+)"')


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    in_code = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if in_code or not line.startswith("#"):
            continue
        title = line.lstrip("#").strip().lower()
        slug = re.sub(r"[^\w\- ]", "", title).replace(" ", "-")
        found.add(slug)
    return found


def test_the_readme_is_a_front_page() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines: move detail to docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_and_anchor_resolves(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in LINK_RE.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked), f"{page.name}: no heading #{anchor} in {linked.name}"


def test_every_setting_the_code_reads_is_documented() -> None:
    read = set(SETTING_RE.findall((ROOT / "bot" / "config.py").read_text(encoding="utf-8")))
    assert len(read) > 20  # the pattern still finds the settings
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = sorted(name for name in read if f"`{name}`" not in documented)
    assert not missing, f"settings not in docs/configuration.md: {missing}"


def test_the_benchmarks_page_is_the_latest_run() -> None:
    document = json.loads(report.LATEST.read_text(encoding="utf-8"))
    expected = report.render(document, report.MILESTONES.read_text(encoding="utf-8"))
    assert report.PAGE.read_text(encoding="utf-8") == expected, "run `python -m bench.report`"
    ran = {s["name"] for s in document["scenarios"]}
    assert ran <= set(report.SCENARIOS), "a scenario without a description on the page"
