"""Entry point: global options, then the verb's own module (only that parser is built)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Any, NoReturn

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
    "healthcheck": "healthcheck",
    "pull": "pull",
    "push": "push",
    "login": "login",
    "logout": "logout",
}
GROUPS = {
    "container": {"ls": "ps", "list": "ps", "rm": "rm"},
    "image": {
        "ls": "images",
        "list": "images",
        "rm": "rmi",
        "inspect": "image_inspect",
        "prune": "image_prune",
    },
    "system": {"df": "system_df", "info": "info"},
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
    },
}
GLOBAL_HELP = """\
usage: scopebox [--root DIR] [--runroot DIR] [--runtime PATH] [--cgroup-manager M]
                COMMAND [ARGS...]

Daemonless containers, supervised by systemd.

Commands:
  run, create, start, stop, restart, kill, rm, wait, rename    container lifecycle
  exec, healthcheck run                                         run in a running container
  pause, unpause, update                                        freeze, thaw, change limits
  ps, logs, inspect, stats, top                                 look at containers
  images, image inspect, tag, rmi, image prune, history        images
  import, export, save, load                                    archives
  pull, push, login, logout                                     registries
  info, version, system df                                      this host
  generate systemd, quadlet                                     units for systemd
  network create|ls|inspect|rm|prune|exists|reload              bridge networks
  container VERB, image VERB, system VERB                       the same, grouped
"""


class Parser(argparse.ArgumentParser):
    """Bad flags are engine errors (exit 125, one line), as in Docker and Podman. No
    abbreviations: `--pid` must not silently mean `--pids-limit`."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw["allow_abbrev"] = False
        super().__init__(*args, **kw)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def new_parser(verb: str, description: str) -> Parser:
    return Parser(prog=f"scopebox {verb}", description=description)


def _split_globals(argv: list[str]) -> tuple[Settings, list[str]]:
    """Global options come before the verb; they win over the environment."""
    from supervisor.settings import FLAGS

    flags: dict[str, str] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        key, eq, value = argv[i].partition("=")
        if key not in FLAGS:
            break
        if not eq:
            if i + 1 >= len(argv):
                raise UsageError(f"{key} needs a value")
            i += 1
            value = argv[i]
        flags[key] = value
        i += 1
    return Settings.from_env().with_flags(flags), argv[i:]


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
        module = GROUPS[verb].get(sub) or (VERBS.get(sub) if verb != "network" else None)
        if module is None:
            raise UsageError(f"unknown command: scopebox {verb} {sub}")
        return module, args
    if verb not in VERBS or verb == "cleanup":
        raise UsageError(f"unknown command {verb!r} (see 'scopebox --help')")
    return VERBS[verb], args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = os.environ.get("SCOPEBOX_DEBUG", "") not in ("", "0", "false")
    try:
        settings, rest = _split_globals(argv)
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
