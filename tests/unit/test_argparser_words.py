"""The CLI parser's errors in Podman's (cobra's) words, which scripts and Podman's own tests
(300-cli-parsing.bats) read: a flag given without its value names the spelling typed."""

from __future__ import annotations

import pytest

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError


@pytest.mark.parametrize(("argv", "words"), [
    (["-x"], "flag needs an argument: 'x' in -x"),
    (["--hostname"], "flag needs an argument: --hostname"),
    (["--name"], "flag needs an argument: --name"),
])  # fmt: skip
def test_a_flag_without_its_value(argv: list[str], words: str) -> None:
    p = new_parser("run", "x")
    p.add_argument("-x", "--hostname")
    p.add_argument("--name")
    with pytest.raises(UsageError) as info:
        p.parse_args(argv)
    assert str(info.value) == f"{words}\nSee 'scopebox run --help'"
