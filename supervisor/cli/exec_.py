"""scopebox exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]"""

from __future__ import annotations

import argparse

from supervisor.cli.attachflags import add_attach_flags, check_detach_keys  # helper "flags"
from supervisor.cli.fds import add_preserve_fds, check_preserved  # helper "flags"
from supervisor.cli.main import new_parser
from supervisor.cli.targets import add_target_flags, one  # helper "flags"
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api

    p = new_parser("exec", "Run a command in a running container.")
    p.add_argument("-i", "--interactive", action="store_true", help="keep stdin open")
    p.add_argument("-d", "--detach", action="store_true", help="run it in the background")
    p.add_argument("-e", "--env", action="append", default=[], help="set environment variables")
    p.add_argument("-u", "--user", help="user[:group] to run as")
    p.add_argument("-w", "--workdir", help="working directory inside the container")
    p.add_argument("-t", "--tty", action="store_true", help="allocate a pseudo-terminal")
    # helper "flags": --preserve-fds, --latest, --env-file, --privileged, --detach-keys
    add_preserve_fds(p)
    add_target_flags(p)
    p.add_argument("--env-file", action="append", default=[],
                   help="read in a file of environment variables")
    p.add_argument("--privileged", action="store_true",
                   help="give the process all capabilities (the caller's bounding set)")
    add_attach_flags(p, sig_proxy=False)
    p.add_argument("container", nargs="?")
    p.add_argument("command", nargs=argparse.REMAINDER)
    ns = p.parse_args(argv)
    check_preserved(ns.preserve_fds)
    check_detach_keys(ns.detach_keys)
    ref, command = one(settings, ns, ns.container, ns.command)
    req = api.ExecRequest(command, ns.env, ns.user, ns.workdir, ns.interactive, ns.detach,
                           ns.tty, preserve_fds=ns.preserve_fds, env_files=ns.env_file,
                           privileged=ns.privileged, detach_keys=ns.detach_keys,
                           announce=print)  # fmt: skip
    return api.exec_(settings, ref, req)
