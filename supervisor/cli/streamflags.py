"""terminals: run/create -a/--attach STREAM (stdin, stdout, stderr; repeated or comma-split),
as Podman 4.3's: the output streams not named go nowhere; stdin follows -i alone; naming
only stdin prints the container's id and still waits for its exit code."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from supervisor.errors import CommandCannotRun, UsageError

if TYPE_CHECKING:
    from supervisor.api.containers import Streams

STREAMS = ("stdin", "stdout", "stderr")


def add_stream_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-a", "--attach", action="append", default=[], metavar="STREAM",
                   help="attach to STDIN, STDOUT or STDERR")  # fmt: skip


def named_streams(values: list[str]) -> frozenset[str] | None:
    """The streams -a named (None: no -a, all of them). Podman's words and exit codes."""
    if not values:
        return None
    names = [n.strip().lower() for v in values for n in v.split(",")]
    for name in names:
        if name and name not in STREAMS:
            raise UsageError(f'invalid stream "{name}" for --attach - must be one of stdin, '
                             "stdout, or stderr: invalid argument")  # fmt: skip
    chosen = frozenset(n for n in names if n)
    if not chosen:
        raise CommandCannotRun("must provide at least one stream to attach to: invalid argument")
    return chosen


def run_streams(values: list[str]) -> Streams | None:
    from supervisor.api.containers import Streams

    chosen = named_streams(values)
    if chosen is None:
        return None
    quiet = not chosen & {"stdout", "stderr"}
    return Streams("stdout" in chosen, "stderr" in chosen, print if quiet else None)
