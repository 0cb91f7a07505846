"""run -a/--attach parsing (supervisor/cli/streamflags.py): Podman's names, words and codes."""

from __future__ import annotations

import pytest

from supervisor.cli.streamflags import named_streams, run_streams
from supervisor.errors import CommandCannotRun, UsageError


def test_streams_named_case_insensitively_repeated_or_comma_split() -> None:
    assert named_streams([]) is None
    assert named_streams(["STDOUT"]) == {"stdout"}
    assert named_streams(["stdout,stderr", "stdin"]) == {"stdin", "stdout", "stderr"}


def test_bad_streams() -> None:
    with pytest.raises(UsageError, match='invalid stream "bogus" for --attach'):
        named_streams(["stdout,bogus"])
    with pytest.raises(CommandCannotRun, match="must provide at least one stream"):
        named_streams([""])


def test_run_streams_show_only_the_named_outputs_and_announce_without_any() -> None:
    assert run_streams([]) is None
    only_err = run_streams(["stderr"])
    assert only_err is not None and (only_err.stdout, only_err.stderr) == (False, True)
    assert only_err.announce is None
    stdin_only = run_streams(["stdin"])
    assert stdin_only is not None and stdin_only.announce is print
    assert (stdin_only.stdout, stdin_only.stderr) == (False, False)
