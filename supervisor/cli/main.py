"""Entry point: global options, then the verb's own module (only that parser is built)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from supervisor import notices
from supervisor.errors import UsageError, translate
from supervisor.settings import Settings

VERBS = {
    "create": "create",
    "start": "start",
    "run": "run",
    "ps": "ps",
    "list": "ps",
    "ls": "ps",
    "logs": "logs",
    "inspect": "inspect",
    "stop": "stop",
    "kill": "kill",
    "rm": "rm",
    "wait": "wait",
    "restart": "restart",
    "rename": "rename",
    "import": "import_",
    "images": "images",
    "rmi": "rmi",
    "version": "version",
    "info": "info",
    "unshare": "unshare",  # rootless (issue 17)
    "cleanup": "cleanup",
    "pause": "pause",
    "unpause": "unpause",
    "stats": "stats",
    "top": "top",
    "update": "update",
    "tag": "tag",
    "save": "save",
    "load": "load",
    "export": "export",
    "history": "history",
    "generate": "generate",
    "quadlet": "quadlet",
    "exec": "exec_",
    "attach": "attach",  # terminals
    "port": "port",
    "healthcheck": "healthcheck",
    "events": "events",  # events (issue 14)
    "pull": "pull",
    "push": "push",
    "login": "login",
    "logout": "logout",
    # cp, diff, mount, commit (supervisor/copy/)
    "cp": "cp",
    "diff": "diff",
    "mount": "mount",
    "umount": "umount",
    "unmount": "umount",
    "commit": "commit",
    # kube (issue 15): kube play|generate|down, play kube (generate kube: cli/generate.py)
    "kube": "kube",
    "play": "play",
}
GROUPS = {
    "container": {
        "ls": "ps",
        "list": "ps",
        "rm": "rm",
        "exists": "container_exists",
        "inspect": "container_inspect",
        # cp, diff, mount, commit (supervisor/copy/)
        "cp": "cp",
        "diff": "container_diff",
        "mount": "mount",
        "umount": "umount",
        "unmount": "umount",
        "commit": "commit",
    },
    "image": {
        "ls": "images",
        "list": "images",
        "rm": "rmi",
        "inspect": "image_inspect",
        "prune": "image_prune",
        "exists": "image_exists",
    },
    "system": {"df": "system_df", "info": "info",
               "events": "events",  # events (issue 14)
               "service": "system_service"},  # the Docker API (issue 18)
    "network": {
        "create": "network_create",
        "ls": "network_ls",
        "list": "network_ls",
        "inspect": "network_inspect",
        "rm": "network_rm",
        "remove": "network_rm",
        "prune": "network_prune",
        "exists": "network_exists",
        "reload": "network_reload",
        "connect": "network_connect",  # networking (issue 13)
        "disconnect": "network_disconnect",
    },
    # volumes (issue 14)
    "volume": {
        "create": "volume_create",
        "ls": "volume_ls",
        "list": "volume_ls",
        "inspect": "volume_inspect",
        "rm": "volume_rm",
        "remove": "volume_rm",
        "prune": "volume_prune",
        "exists": "volume_exists",
        "export": "volume_export",
        "import": "volume_import",
    },
    # pods (issue 15)
    "pod": {
        "create": "pod_create",
        "start": "pod_start",
        "stop": "pod_stop",
        "kill": "pod_kill",
        "restart": "pod_restart",
        "pause": "pod_pause",
        "unpause": "pod_unpause",
        "rm": "pod_rm",
        "remove": "pod_rm",
        "ps": "pod_ps",
        "ls": "pod_ps",
        "list": "pod_ps",
        "inspect": "pod_inspect",
        "exists": "pod_exists",
        "prune": "pod_prune",
        # pods (issue 15, helper podsx): looking into a pod
        "top": "pod_top",
        "logs": "pod_logs",
        "stats": "pod_stats",
        "clone": "pod_clone",
    },
}
GLOBAL_HELP = """\
usage: scopebox [options] COMMAND [ARGS...]

Daemonless containers, supervised by systemd.

Commands:
  run, create, start, stop, restart, kill, rm, wait, rename    container lifecycle
  exec, healthcheck run                                         run in a running container
  pause, unpause, update                                        freeze, thaw, change limits
  ps, logs, inspect, stats, top                                 look at containers
  images, image inspect, tag, rmi, image prune, history        images
  import, export, save, load                                    archives
  cp, diff, mount, umount, commit                               a container's files
  pull, push, login, logout                                     registries
  info, version, system df, system service                      this host, its API
  unshare                                                       the user's namespace (rootless)
  pod create|start|stop|kill|restart|pause|unpause|rm          pods
  pod ps|inspect|exists|prune|top|logs|stats|clone             pods
  generate systemd, quadlet                                     units for systemd
  kube play|generate|down, play kube, generate kube            Kubernetes YAML
  network create|ls|inspect|rm|prune|exists|reload              bridge networks
  volume create|ls|inspect|rm|prune|exists|export|import        volumes
  container VERB, image VERB, system VERB                       the same, grouped
  container exists, image exists                                exit 0 if it exists, else 1

Options:
      --cgroup-manager string   Cgroup manager to use ("cgroupfs"|"systemd")
      --events-backend string   Events backend ("file"|"journald"|"none")
      --help                    Help for scopebox
      --log-level string        Log messages above specified level (debug, trace: tracebacks)
      --noout                   do not output to stdout
      --root string             Path to the root directory in which data is stored
      --runroot string          Path to the 'run directory' where all state information is stored
      --runtime string          Path to the OCI-compatible binary used to run containers
      --storage-driver string   The store's driver (overlay; vfs: SCOPEBOX_STORAGE_DRIVER)
      --syslog                  Accepted for Podman's scripts (scopebox logs to the journal)
      --tmpdir string           Accepted for Podman's scripts (state lives under --runroot)
  -v, --version                 version for scopebox
  Refused with a reason: --url, -r/--remote, -c/--connection, --identity, --ssh (no remote API
  yet), --conmon, --hooks-dir, --namespace, --network-cmd-path, --network-config-dir,
  --runtime-flag, --storage-opt, --volumepath.
"""


# performance (issue 16): argparse looks each message up with gettext on every parser (which
# imports locale and searches for catalogs; Python ships none for argparse) and makes a
# HelpFormatter for every add_argument, each importing shutil (bz2, lzma) for the width.
argparse._ = lambda message: message  # type: ignore[attr-defined]
argparse.ngettext = lambda singular, plural, n: singular if n == 1 else plural  # type: ignore[attr-defined]
_columns: list[int] = []


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns` (COLUMNS, else stdout's terminal, else 80), once."""
    if not _columns:
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            columns = 0
        if columns <= 0:
            try:
                stdout = sys.__stdout__
                columns = (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
            except (ValueError, OSError):
                columns = 80
        _columns.append(columns)
    return _columns[0]


class Parser(argparse.ArgumentParser):
    """Bad flags are engine errors (exit 125, one line), as in Docker and Podman. No
    abbreviations: `--pid` must not silently mean `--pids-limit`."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw["allow_abbrev"] = False
        super().__init__(*args, **kw)

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments: "):
            _podmans_flag(self.prog, message)
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")

    def _get_formatter(self) -> argparse.HelpFormatter:
        return self.formatter_class(prog=self.prog, width=terminal_columns() - 2)  # type: ignore[call-arg]

    def format_help(self) -> str:  # fidelity: Podman's layout
        from supervisor.cli.helpfmt import podman_help

        return podman_help(self)

    def parse_known_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args is not None:
            args = go_bools(self, list(args))
        return super().parse_known_args(args, namespace)


def _podmans_flag(prog: str, message: str) -> None:
    """A flag Podman 4.3 has for this verb but scopebox does not: say so, not 'unrecognized'."""
    from supervisor.cli.podman_flags import NOT_IMPLEMENTED

    verb = prog.partition(" ")[2]
    for word in message.split()[2:]:
        flag = word.partition("=")[0]
        if flag in NOT_IMPLEMENTED.get(verb, ()):
            raise UsageError(f"{prog}: {flag} is a Podman 4.3 flag that scopebox does not"
                             " implement yet (docs/COMPAT.md lists them)")


GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def go_uint(flag: str) -> Callable[[str], int]:
    """A Go uint flag, with pflag's words for a bad value."""
    def parse(value: str) -> int:
        if not value.isascii() or not value.isdigit():
            raise argparse.ArgumentTypeError(
                f'invalid argument "{value}" for "{flag}" flag: strconv.ParseUint: parsing'
                f' "{value}": invalid syntax'
            )
        return int(value)

    return parse


def go_bools(parser: argparse.ArgumentParser, args: list[str]) -> list[str]:
    """Go's boolean flag syntax, which Podman's scripts use: `--new=false`, `--rm=true`.
    Where a command line ends in the container's own arguments (run, exec), only the part
    before the first positional is ours."""
    flags = {
        opt
        for action in parser._actions
        if isinstance(action, argparse._StoreTrueAction)
        for opt in action.option_strings
    }
    # booleans with an optional value (`--tls-verify[=false]`): Go takes a value only after
    # `=`, so `run --tls-verify busybox` must not read busybox as the value
    optional = {
        opt
        for action in parser._actions
        if action.nargs == argparse.OPTIONAL and action.const is True
        for opt in action.option_strings
    }
    valueless = flags | optional
    remainder = any(a.nargs == argparse.REMAINDER for a in parser._actions)
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--" or (remainder and not arg.startswith("-")
                           and not _is_value(args, i, valueless)):
            return out + args[i:]
        if arg in optional:
            out.append(f"{arg}=true")
            continue
        head, eq, value = arg.partition("=")
        if not eq or head not in flags:
            out.append(arg)
        elif value in GO_TRUE:
            out.append(head)
        elif value in GO_FALSE and f"{head}=false" in parser._option_string_actions:
            out.append(f"{head}=false")  # helper "flags": a flag true by default (--passwd)
        elif value not in GO_FALSE:
            raise UsageError(
                f'invalid argument "{value}" for "{head}" flag: strconv.ParseBool:'
                f' parsing "{value}": invalid syntax'
            )
    return out


def _is_value(args: list[str], i: int, flags: set[str]) -> bool:
    """Whether args[i] is the value of the option before it (`--name web`): an option takes
    a value unless it is a boolean (or a cluster of short ones, `-it`)."""
    prev = args[i - 1] if i > 0 else ""
    if not prev.startswith("-") or "=" in prev or prev in flags:
        return False
    return prev.startswith("--") or not all(f"-{c}" in flags for c in prev[1:])


def new_parser(verb: str, description: str) -> Parser:
    return Parser(prog=f"scopebox {verb}", description=description)


LOG_LEVELS = ("trace", "debug", "info", "warn", "warning", "error", "fatal", "panic")
EVENTS_BACKENDS = ("file", "journald", "none")
# Podman 4.3's other global flags: those scopebox accepts (True: takes a value) ...
ACCEPTED = {"--log-level": True, "--events-backend": True, "--noout": False, "--syslog": False,
            "--storage-driver": True, "--tmpdir": True}
# ... and those it refuses, with why.
NO_REMOTE = "scopebox has no remote API yet: it runs containers on this host only"
REFUSED = {
    "--url": NO_REMOTE, "--remote": NO_REMOTE, "-r": NO_REMOTE, "--connection": NO_REMOTE,
    "-c": NO_REMOTE, "--identity": NO_REMOTE, "--ssh": NO_REMOTE,
    "--conmon": "scopebox runs its own monitor, not conmon",
    "--hooks-dir": "OCI hooks are not supported yet",
    "--namespace": "libpod namespaces are not supported",
    "--network-cmd-path": "scopebox has no network backend yet",
    "--network-config-dir": "scopebox has no network backend yet",
    "--runtime-flag": "extra OCI runtime flags are not supported yet",
    "--storage-opt": "storage options are not supported yet",
    "--volumepath": "named volumes are not supported yet",
}


def _split_globals(argv: list[str]) -> tuple[Settings, list[str]]:
    """Global options come before the verb; they win over the environment."""
    from supervisor.settings import FLAGS

    flags: dict[str, str] = {}
    other: dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-h", "--help", "-v"):
        key, eq, value = argv[i].partition("=")
        if key == "--version":
            break
        if key in REFUSED:
            raise UsageError(f"{key}: {REFUSED[key]}")
        if key not in FLAGS and key not in ACCEPTED:
            raise UsageError(f"unknown flag: {key} (see 'scopebox --help')")
        if not eq and (key in FLAGS or ACCEPTED[key]):
            if i + 1 >= len(argv):
                raise UsageError(f"{key} needs a value")
            i += 1
            value = argv[i]
        (flags if key in FLAGS else other)[key] = value or "true"
        i += 1
    settings = Settings.from_env().with_flags(flags)
    return _other_globals(settings, other), argv[i:]


def _other_globals(settings: Settings, other: dict[str, str]) -> Settings:
    level = other.get("--log-level")
    if level is not None and level not in LOG_LEVELS:
        err = UsageError(f'"{level}" is not a valid log level ({", ".join(LOG_LEVELS)})')
        err.exit_code = 1  # Podman's
        raise err
    backend = other.get("--events-backend")
    if backend is not None and backend not in EVENTS_BACKENDS:
        raise UsageError(f"--events-backend must be one of {', '.join(EVENTS_BACKENDS)}")
    if backend is not None:
        settings = settings._replace(events_logger=backend)
    driver = other.get("--storage-driver")
    in_use = os.environ.get("SCOPEBOX_STORAGE_DRIVER") or "overlay"
    if driver is not None and driver != in_use:
        raise UsageError(f"--storage-driver {driver}: this store uses {in_use}"
                         " (SCOPEBOX_STORAGE_DRIVER chooses it)")
    for key in ("--noout", "--syslog"):
        if other.get(key, "false") not in ("true", "false"):
            raise UsageError(f"{key} takes no value (or =true, =false)")
    if other.get("--noout") == "true":
        # Podman's --noout: nothing on stdout (errors still on stderr).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    if level in ("debug", "trace"):
        settings = settings._replace(debug=True)
    return settings


def _resolve_verb(rest: list[str]) -> tuple[str, list[str]]:
    if not rest or rest[0] in ("-h", "--help", "help"):
        sys.stdout.write(GLOBAL_HELP)
        raise SystemExit(0)
    verb, args = rest[0], rest[1:]
    if verb in ("-v", "--version"):
        return "version", []
    if verb in GROUPS:
        if not args:
            raise UsageError(f"scopebox {verb}: a subcommand is required")
        sub, args = args[0], args[1:]
        # `network` has only its own subcommands (`network run` must not run a container)
        own_only = verb in ("network", "volume", "pod")  # volumes (issue 14), pods (issue 15)
        module = GROUPS[verb].get(sub) or (VERBS.get(sub) if not own_only else None)
        if module is None:
            raise UsageError(f"unknown command: scopebox {verb} {sub}")
        return module, args
    if verb not in VERBS or verb == "cleanup":
        raise UsageError(f"unknown command {verb!r} (see 'scopebox --help')")
    return VERBS[verb], args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = os.environ.get("SCOPEBOX_DEBUG", "") not in ("", "0", "false")
    notices.listen(lambda message: print(f"Notice: {message}", file=sys.stderr, flush=True))
    try:
        settings, rest = _split_globals(argv)
        debug = debug or settings.debug
        module_name, args = _resolve_verb(rest)
        module = importlib.import_module(f"supervisor.cli.{module_name}")
        code: int = module.main(args, settings)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        return _report(exc, debug)
    sys.stdout.flush()
    return code


def _report(exc: Exception, debug: bool) -> int:
    """One line on stderr and the exit code; a bug says how to see its traceback."""
    err = translate(exc)
    if err is not None:
        print(f"Error: {err}", file=sys.stderr)
        return err.exit_code
    if debug:
        import traceback

        traceback.print_exc()
    print(
        f"Error: unexpected {type(exc).__name__}: {exc} (a bug in scopebox;"
        " set SCOPEBOX_DEBUG=1 to see the traceback)",
        file=sys.stderr,
    )
    return 125


def entry() -> None:
    raise SystemExit(main())


if __name__ == "__main__":
    entry()
