"""scopebox start [-a] CONTAINER... | start --all [--filter restart-policy=POLICY]..."""

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
        "--filter", action="append", default=[], help="with --all: restart-policy=POLICY"
    )
    p.add_argument("containers", nargs="*")
    # helper "flags": --latest, --sig-proxy (with -a), --detach-keys (checked, as attach's)
    add_target_flags(p)
    add_attach_flags(p)
    ns = p.parse_args(argv)
    if ns.attach:
        check_detach_keys(ns.detach_keys)
    if ns.latest:
        from supervisor.api.targets import resolve

        ns.containers = resolve(settings, targets(ns, ns.containers))
    if ns.sig_proxy and not ns.attach:
        raise UsageError("you cannot use sig-proxy without --attach: invalid argument")
    if ns.all == bool(ns.containers):
        p.error("give container names or --all, not both" if ns.all else "at least one container")
    policies = []
    for item in ns.filter:
        key, eq, value = item.partition("=")
        if key != "restart-policy" or not eq:
            raise UsageError(f"unsupported --filter {item!r} (restart-policy=POLICY)")
        policies.append(value)
    from supervisor.api import containers as api

    # Podman's start fails with 125 whatever the reason, also where `run` gives the runtime's
    # 126 or 127 (its start does not translate the error).
    if ns.all:
        return _engine_code(print_reports(api.start_all(settings, policies)))
    if ns.attach:
        stdin_fd = sys.stdin.fileno() if ns.interactive else None
        return api.start_attach(settings, ns.containers[0], stdin_fd, ns.detach_keys,
                                sig_proxy=ns.sig_proxy is not False)
    return _engine_code(print_reports(api.start(settings, ns.containers)))


def _engine_code(code: int) -> int:
    return 125 if code else 0
