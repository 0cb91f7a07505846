"""scopebox run [OPTIONS] IMAGE [COMMAND [ARG...]]"""

from __future__ import annotations

import sys

from supervisor.cli.attachflags import add_attach_flags, check_detach_keys  # helper "flags"
from supervisor.cli.common import add_create_flags, create_request, new_create_parser
from supervisor.cli.fds import add_preserve_fds, check_preserved, listen_fds  # helper "flags"
from supervisor.cli.runflags import add_run_only_flags  # helper "runflags"
from supervisor.cli.streamflags import add_stream_flags, run_streams  # terminals: -a
from supervisor.cli.userflags import add_run_only_user_flags  # helper "flags"
from supervisor.errors import CommandCannotRun  # helper "flags"
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_create_parser("run", "Create and start a container.")
    add_create_flags(p)
    p.add_argument("-d", "--detach", action="store_true", help="run in the background")
    add_run_only_flags(p)  # helper "runflags"
    add_run_only_user_flags(p)  # helper "flags": --passwd
    add_preserve_fds(p)  # helper "flags"
    add_attach_flags(p)  # helper "flags": --sig-proxy, --detach-keys
    add_stream_flags(p)  # terminals: -a/--attach
    ns = p.parse_args(argv)
    streams = run_streams(ns.attach)  # terminals
    check_preserved(ns.preserve_fds)  # before anything of ours takes a descriptor
    preserve_fds = listen_fds(ns.preserve_fds)  # socket activation
    if not ns.detach:
        check_detach_keys(ns.detach_keys, CommandCannotRun)  # Podman's 126
    req = create_request(ns)
    stdin_fd = sys.stdin.fileno() if req.options.interactive else None
    warn_not_a_tty(req.options.tty and req.options.interactive)  # terminals
    report = api.run(settings, req, ns.detach, stdin_fd, ns.detach_keys,
                     sig_proxy=ns.sig_proxy is not False, preserve_fds=preserve_fds,
                     streams=streams)  # terminals: -a
    if report.exit_code is None:
        print(report.id)
        return 0
    return report.exit_code


def warn_not_a_tty(tty_and_interactive: bool) -> None:
    """terminals: Podman's warning (logrus' text form) for -ti without a terminal on stdin;
    the container runs all the same."""
    if tty_and_interactive and not sys.stdin.isatty():
        from supervisor.cli.loglines import log

        log("warn", "The input device is not a TTY. The --tty and --interactive flags might"
            " not work properly")
