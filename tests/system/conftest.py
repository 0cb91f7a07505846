"""The systemd tier's CLI fixture: the bed's default store, emptied after each module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clihelp import Scopebox


@pytest.fixture(scope="module")
def sb() -> Iterator[Scopebox]:
    box = Scopebox({})
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f")
