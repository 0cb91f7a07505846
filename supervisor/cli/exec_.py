"""scopebox exec [-i] [-t] [-d] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]"""

from __future__ import annotations

from supervisor.cli.quick import APPEND, BOOL, VALUE, Quick, parse
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.cli.argparser import Parser


def parser() -> Parser:
    import argparse

    from supervisor.cli.attachflags import add_attach_flags  # helper "flags"
    from supervisor.cli.fds import add_preserve_fds  # helper "flags"
    from supervisor.cli.main import new_parser
    from supervisor.cli.targets import add_target_flags  # helper "flags"

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
    return p


# performance (issue 16): the flags `exec` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={
        "-i": ("interactive", BOOL), "--interactive": ("interactive", BOOL),
        "-d": ("detach", BOOL), "--detach": ("detach", BOOL),
        "-t": ("tty", BOOL), "--tty": ("tty", BOOL),
        "-l": ("latest", BOOL), "--latest": ("latest", BOOL),
        "--privileged": ("privileged", BOOL),
        "-e": ("env", APPEND), "--env": ("env", APPEND),
        "--env-file": ("env_file", APPEND),
        "-u": ("user", VALUE), "--user": ("user", VALUE),
        "-w": ("workdir", VALUE), "--workdir": ("workdir", VALUE),
        "--detach-keys": ("detach_keys", VALUE),
    },
    defaults={"interactive": False, "detach": False, "env": [], "user": None, "workdir": None,
              "tty": False, "preserve_fds": 0, "latest": False, "env_file": [],
              "privileged": False, "detach_keys": None, "container": None, "command": []},
    positional=("container", "?"),
    remainder="command",
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import interactive as api
    from supervisor.cli.attachflags import check_detach_keys  # helper "flags"
    from supervisor.cli.targets import one  # helper "flags"

    ns = parse(argv, QUICK) or parser().parse_args(argv)
    if ns.preserve_fds:
        from supervisor.cli.fds import check_preserved  # helper "flags"

        check_preserved(ns.preserve_fds)
    check_detach_keys(ns.detach_keys)
    ref, command = one(settings, ns, ns.container, ns.command)
    req = api.ExecRequest(command, ns.env, ns.user, ns.workdir, ns.interactive, ns.detach,
                           ns.tty, preserve_fds=ns.preserve_fds, env_files=ns.env_file,
                           privileged=ns.privileged, detach_keys=ns.detach_keys,
                           announce=print)  # fmt: skip
    return api.exec_(settings, ref, req)
