"""helper "flags": run/create's --passwd, --passwd-entry, --hostuser (supervisor/passwd.py)."""

from __future__ import annotations

import argparse

from supervisor.options import UserFlags


def add_user_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--passwd-entry", help="entry to write to /etc/passwd ($USERNAME, $UID,"
                   " $GID, $NAME, $HOME are replaced)")
    p.add_argument("--hostuser", action="append", default=[],
                   help="host user account to add to /etc/passwd within the container")
    # (dependencies, supervisor/depends.py: started first, listed by inspect)
    p.add_argument("--requires", action="append", default=[],
                   help="containers to start before this one (CTR[,CTR...])")


def add_run_only_user_flags(p: argparse.ArgumentParser) -> None:
    """`--passwd` is run's only (Podman 4.3's create has none); true by default, so
    `--passwd=false` is an option of its own (see cli/main.py go_bools)."""
    p.add_argument("--passwd", action="store_true", default=True,
                   help="add entries to /etc/passwd and /etc/group (default true)")
    p.add_argument("--passwd=false", dest="passwd", action="store_false", help=argparse.SUPPRESS)


def user_flags(ns: argparse.Namespace) -> UserFlags:
    hostusers = tuple(u for item in ns.hostuser for u in item.split(",") if u)
    return UserFlags(getattr(ns, "passwd", True), ns.passwd_entry or "", hostusers)
