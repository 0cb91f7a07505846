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
