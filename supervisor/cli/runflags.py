"""run/create's process and namespace flags (validated in supervisor/runflags.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from supervisor.options import RunFlagOptions, UsernsOptions


def add_run_flags(p: argparse.ArgumentParser) -> None:
    from supervisor.cli.argparser import go_uint

    a = p.add_argument
    a("--init", action="store_true",
      help="run an init (catatonit) as PID 1 that forwards signals and reaps processes")
    a("--init-path", help="path to the container-init binary")
    a("--sysctl", action="append", default=[], help="namespaced sysctl: net.*, fs.mqueue.*, ...")
    a("--pid", help="PID namespace: private, host, container:ID, ns:PATH")
    a("--ipc", help="IPC namespace: private, shareable, host, none, container:ID, ns:PATH")
    a("--uts", help="UTS namespace: private, host, container:ID, ns:PATH")
    a("--cgroupns", help="cgroup namespace: private, host, container:ID, ns:PATH")
    a("--shm-size", help="size of /dev/shm, <number>[b|k|m|g] (default 64000k)")
    a("--group-add", action="append", default=[],
      help="additional groups (names or ids); keep-groups keeps the caller's (crun)")
    a("--oom-score-adj", type=_int("--oom-score-adj"), help="the OOM killer's preference")
    a("--oom-kill-disable", action="store_true", help="disable the OOM killer (cgroup v1)")
    a("--annotation", action="append", default=[], help="add an annotation: key=value")
    a("--env-host", action="store_true", help="pass the host's environment variables")
    a("--tz", help="time zone in the container: local or a zone name like Asia/Tokyo")
    a("--timeout", type=go_uint("--timeout"), default=0,
      help="kill the container after this many seconds (0: no limit)")
    # issue 19 (helper s26-runflags)
    a("--umask", help="the process' umask (default 0022)")
    a("--unsetenv", action="append", default=[],
      help="unset a default environment variable (the image's, PATH, container)")
    a("--unsetenv-all", action="store_true", help="unset all default environment variables")
    a("--env-merge", action="append", default=[],
      help="rewrite a default variable: NAME=WORD, e.g. 'PATH=${PATH}:/opt/bin'")
    a("--label-file", action="append", default=[], help="read labels from a file (key=value)")
    a("--pidfile", default="", help="write the container's pid to this file at each start")
    a("--conmon-pidfile", default="", help="write the monitor's pid to this file at each start")
    a("-q", "--quiet", action="store_true", help="suppress output when pulling images")
    a("--disable-content-trust", action="store_true",
      help="Docker's image verification switch; accepted and ignored, as by Podman")


def add_userns_flags(p: argparse.ArgumentParser) -> None:
    """issues 17/19: the container's user namespace (supervisor/idmaps.py)."""
    a = p.add_argument
    a("--userns", help="user namespace: host, auto[:size=,uidmapping=,gidmapping=],"
      " keep-id[:uid=,gid=], nomap, ns:PATH, container:ID")
    a("--uidmap", action="append", default=[], help="CONTAINER_UID:HOST_UID:SIZE")
    a("--gidmap", action="append", default=[], help="CONTAINER_GID:HOST_GID:SIZE")
    a("--subuidname", help="map the uids of this /etc/subuid name")
    a("--subgidname", help="map the gids of this /etc/subgid name")


def userns_options(ns: argparse.Namespace) -> UsernsOptions:
    return UsernsOptions(ns.userns, list(ns.uidmap), list(ns.gidmap), ns.subuidname,
                         ns.subgidname)


def add_run_only_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rmi", action="store_true",
                   help="remove the image after the container exits (implies --rm)")


def run_flag_options(ns: argparse.Namespace) -> RunFlagOptions:
    return RunFlagOptions(
        init=ns.init,
        init_path=ns.init_path,
        sysctls=_csv(ns.sysctl),
        pid=ns.pid,
        ipc=ns.ipc,
        uts=ns.uts,
        cgroupns=ns.cgroupns,
        shm_size=ns.shm_size,
        group_add=_csv(ns.group_add),
        oom_score_adj=ns.oom_score_adj,
        oom_kill_disable=ns.oom_kill_disable,
        annotations=_csv(ns.annotation),
        env_host=ns.env_host,
        tz=ns.tz,
        timeout=ns.timeout,
        rmi=getattr(ns, "rmi", False),
        umask=ns.umask,
        unsetenv=list(ns.unsetenv),
        unsetenv_all=ns.unsetenv_all,
        env_merge=list(ns.env_merge),
        pidfile=_absolute(ns.pidfile),
        conmon_pidfile=_absolute(ns.conmon_pidfile),
    )


def _absolute(path: str) -> str:
    """A relative pid file is the caller's at create (Podman: the cwd of each start)."""
    import os

    return os.path.abspath(path) if path else ""



def _csv(items: list[str]) -> list[str]:
    """Podman's string-slice flags: repeated, or comma-separated."""
    return [part for item in items for part in item.split(",") if part]


def _int(flag: str) -> Callable[[str], int]:
    def parse(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f'invalid argument "{value}" for "{flag}" flag: strconv.ParseInt: parsing'
                f' "{value}": invalid syntax'
            ) from None

    return parse
