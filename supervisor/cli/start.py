"""scopebox start [-a] CONTAINER... | start --all [--filter KEY=VALUE]..."""

from __future__ import annotations

import sys

from supervisor.cli.attachflags import add_attach_flags, check_detach_keys  # helper "flags"
from supervisor.cli.main import new_parser
from supervisor.cli.output import print_reports
from supervisor.cli.targets import add_target_flags, targets  # helper "flags"
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("start", "Start one or more containers.")
    p.add_argument("-a", "--attach", action="store_true", help="attach to the output")
    p.add_argument("-i", "--interactive", action="store_true", help="attach stdin")
    p.add_argument("--all", action="store_true", help="start all (matching) stopped containers")
    p.add_argument(
        "--filter", action="append", default=[], help="start only those ps --filter matches"
    )
    p.add_argument("containers", nargs="*")
    # helper "flags": --latest, --sig-proxy (with -a), --detach-keys (checked, as attach's)
    add_target_flags(p)
    add_attach_flags(p)
    ns = p.parse_args(argv)
    from supervisor.cli.fds import listen_fds

    preserve_fds = listen_fds(0)  # socket activation: before anything takes a descriptor
    if ns.attach:
        check_detach_keys(ns.detach_keys)
    if ns.latest:
        from supervisor.api.targets import resolve

        ns.containers = resolve(settings, targets(ns, ns.containers))
    if ns.sig_proxy and not ns.attach:
        raise UsageError("you cannot use sig-proxy without --attach: invalid argument")
    if ns.all and ns.containers:  # Podman's words
        raise UsageError("either start all containers or the container(s) provided in the"
                         " arguments")
    if not ns.all and not ns.containers:
        p.error("at least one container")
    from supervisor.api import containers as api

    if ns.filter:  # Podman's ps filters, among all containers or those named
        filters = api.parse_filters(ns.filter)
        return _engine_code(print_reports(api.start_matching(settings, ns.containers, filters)))

    # Podman's start fails with 125 whatever the reason, also where `run` gives the runtime's
    # 126 or 127 (its start does not translate the error).
    if ns.all:
        return _engine_code(print_reports(api.start_all(settings, [])))
    if ns.attach:
        stdin_fd = sys.stdin.fileno() if ns.interactive else None
        return api.start_attach(settings, ns.containers[0], stdin_fd, ns.detach_keys,
                                sig_proxy=ns.sig_proxy is not False, preserve_fds=preserve_fds)
    return _engine_code(print_reports(api.start(settings, ns.containers, preserve_fds)))


def _engine_code(code: int) -> int:
    return 125 if code else 0
