"""Pure: the intended differences the compat tier asserts and docs/DIFFERENCES.md agree."""

from __future__ import annotations

import re

from tests.compat.harness import REPO
from tests.compat.scenarios import ALL


def test_differences_listed() -> None:
    text = (REPO / "docs/DIFFERENCES.md").read_text()
    listed = set(re.findall(r"^## `([a-z0-9-]+)`", text, re.M))
    used = {c.diff for c in ALL if c.diff}
    assert used == listed, (used - listed, listed - used)


def test_compat_md_counts_the_scenarios() -> None:
    """docs/COMPAT.md (tools/compat_table.py) states the tier's size: it must be current."""
    text = (REPO / "docs/COMPAT.md").read_text()
    diffs = {c.diff for c in ALL if c.diff}
    assert f"**{len(ALL)} scenarios**" in text, "run tools/compat_table.py"
    assert f"**{len(diffs)} intended differences**" in text, "run tools/compat_table.py"
