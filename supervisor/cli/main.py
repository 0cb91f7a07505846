"""Entry point: global options, then the verb's own module (only that parser is built)."""

from __future__ import annotations

import os
import sys

from supervisor import notices
from supervisor.cli import invoked, program, set_invoked, set_program
from supervisor.errors import UsageError, translate
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.cli.argparser import Parser

VERBS = {
    "create": "create",
    "start": "start",
    "init": "init",
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
    "untag": "untag",
    "search": "search",
    "build": "build",  # supervisor/build
    "manifest": "manifest",  # verbs: local manifest lists
    "auto-update": "auto_update",
}
GROUPS = {
    "container": {
        "ls": "ps",
        "list": "ps",
        "rm": "rm",
        "exists": "container_exists",
        "init": "init",
        "inspect": "container_inspect",
        # cp, diff, mount, commit (supervisor/copy/)
        "cp": "cp",
        "diff": "container_diff",
        "mount": "mount",
        "umount": "umount",
        "unmount": "umount",
        "commit": "commit",
        "prune": "container_prune",
        "clone": "container_clone",
        "runlabel": "runlabel",  # verbs
        "checkpoint": "checkpoint",  # verbs: refused (no CRIU)
        "restore": "restore",
    },
    "image": {
        "ls": "images",
        "list": "images",
        "rm": "rmi",
        "inspect": "image_inspect",
        "prune": "image_prune",
        "exists": "image_exists",
        "untag": "untag",
        "build": "build",
        "tree": "image_tree",  # verbs
        "sign": "image_sign",  # verbs: refused, trust show reads the host's policy
        "trust": "image_trust",
        "mount": "image_mount",
        "umount": "image_umount",
        "unmount": "image_umount",
    },
    "buildx": {"build": "build"},  # Docker's alias (podman buildx build)
    "system": {"df": "system_df", "info": "info",
               "events": "events",  # events (issue 14)
               "service": "system_service",  # the Docker API (issue 18)
               "prune": "system_prune", "reset": "system_reset",
               "migrate": "system_migrate", "renumber": "system_renumber"},  # verbs
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
        "mount": "volume_mount",  # verbs
        "unmount": "volume_unmount",
        "reload": "volume_reload",
    },
    # secrets (supervisor/secrets)
    "secret": {
        "create": "secret_create",
        "ls": "secret_ls",
        "list": "secret_ls",
        "inspect": "secret_inspect",
        "rm": "secret_rm",
        "exists": "secret_exists",
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
OPTIONS_HELP = """\
Options:
      --cgroup-manager string   Cgroup manager to use ("cgroupfs"|"systemd")
      --config string           Ignored (Docker's client configuration; Podman ignores it too)
      --default-mounts-file string
                                Path to default mounts file (mounts.conf: HOST:CONTAINER
                                lines, each a copy in every container)
  -D, --debug                   The same as --log-level=debug (Docker's flag)
      --events-backend string   Events backend ("file"|"journald"|"none")
      --help                    Help for scopebox
      --log-level string        Log messages above specified level (trace, debug, info, warn,
                                warning, error, fatal, panic) (default "warn"); debug and
                                trace also show an unexpected error's traceback
      --noout                   do not output to stdout
      --root string             Path to the root directory in which data is stored
      --runroot string          Path to the 'run directory' where all state information is stored
      --runtime string          Path to the OCI-compatible binary used to run containers
      --runtime-flag stringArray
                                add global flags for the container runtime
      --storage-driver string   How new containers' root filesystems are made: overlay, vfs
                                (copies; SCOPEBOX_STORAGE_DRIVER sets the default)
      --syslog                  Accepted for Podman's scripts (scopebox logs to the journal)
      --tmpdir string           Accepted for Podman's scripts (state lives under --runroot)
  -v, --version                 version for scopebox
      --volumepath string       Path to the volume directory in which volume data is stored
REMOTE_HELP  Refused with a reason: --url, -r/--remote, -c/--connection, --identity, --ssh (no
  remote API yet), --conmon, --hooks-dir, --namespace, --network-cmd-path, --network-config-dir,
  --storage-opt.
"""


def new_parser(verb: str, description: str) -> Parser:
    """The verb's argparse parser (`supervisor.cli.argparser`, imported only here: the read
    verbs' common command lines are parsed without it, see `supervisor.cli.quick`)."""
    from supervisor.cli.argparser import Parser

    return Parser(prog=f"{program()} {invoked(verb)}", description=description)


EVENTS_BACKENDS = ("file", "journald", "none")
# Podman 4.3's other global flags: those scopebox accepts (True: takes a value) ...
ACCEPTED = {"--log-level": True, "--events-backend": True, "--noout": False, "--syslog": False,
            "--storage-driver": True, "--tmpdir": True, "--config": True, "--debug": False,
            "-D": False, "--runtime-flag": True}  # fmt: skip
# ... and those it refuses, with why (once a verb is given: with none, or with --help, the
# usage is shown as Podman shows it).
NO_REMOTE = "scopebox has no remote API yet: it runs containers on this host only"
REFUSED = {
    "--url": NO_REMOTE, "--remote": NO_REMOTE, "-r": NO_REMOTE, "--connection": NO_REMOTE,
    "-c": NO_REMOTE, "--identity": NO_REMOTE, "--ssh": NO_REMOTE,
    "--conmon": "scopebox runs its own monitor, not conmon",
    "--hooks-dir": "OCI hooks are not supported yet",
    "--namespace": "libpod namespaces are not supported",
    "--network-cmd-path": "scopebox runs pasta and slirp4netns from $PATH, no other binary",
    "--network-config-dir": "scopebox keeps its networks in its own store, not in a"
                            " configuration directory",
    "--storage-opt": "storage options are not supported yet",
}
REFUSED_SWITCHES = ("--remote", "-r")  # the refused flags that take no value
REMOTE_LINE = "  -r, --remote                  A remote service (refused: no remote API yet)\n"


class PlainExit(Exception):
    """A message Podman prints as it is, without "Error: " (its log-level checks)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def global_help(remote_line: bool = True) -> str:
    """Podman hides --remote once a remote is chosen (--url, --connection, CONTAINER_HOST)."""
    from supervisor.cli.commands import top_help

    options = OPTIONS_HELP.replace("for scopebox", f"for {program()}")
    return top_help(program(), options.replace("REMOTE_HELP", REMOTE_LINE if remote_line else ""))


def _split_globals(argv: list[str]) -> tuple[Settings, list[str]]:
    """Global options come before the verb; they win over the environment."""
    from supervisor.settings import FLAGS

    flags: dict[str, str] = {}
    other: dict[str, str] = {}
    refused: list[str] = []
    runtime_flags: list[str] = []  # --runtime-flag, repeatable
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] not in ("-h", "--help", "-v"):
        key, eq, value = argv[i].partition("=")
        if key == "--version":
            break
        if key in REFUSED:
            if not eq and key not in REFUSED_SWITCHES:
                i += 1  # its value
                value = argv[i] if i < len(argv) else ""
            # An empty --storage-opt resets the options (Podman's); there are none to reset.
            if key != "--storage-opt" or value:
                refused.append(key)
            i += 1
            continue
        if key not in FLAGS and key not in ACCEPTED:
            raise UsageError(f"unknown flag: {key}\nSee '{program()} --help'")
        if not eq and (key in FLAGS or ACCEPTED[key]):
            if i + 1 >= len(argv):
                raise UsageError(f"{key} needs a value")
            i += 1
            value = argv[i]
        if key == "--runtime-flag":  # Podman's: `debug` is the runtime's --debug
            runtime_flags.append(value if value.startswith("-") else f"--{value}")
        (flags if key in FLAGS else other)[key] = value or "true"
        i += 1
    rest = argv[i:]
    if rest and rest[0] == "help" and rest[1:]:
        rest = _help_verb(rest[1:])
    if not rest or rest[0] in ("-h", "--help", "help"):
        remote = any(k in ("--url", "--connection", "-c") for k in refused) or any(
            os.environ.get(v) for v in ("CONTAINER_HOST", "CONTAINER_CONNECTION"))
        sys.stdout.write(global_help(remote_line=not remote))
        if rest:
            raise SystemExit(0)
        sys.stdout.flush()
        raise UsageError(f"missing command '{program()} COMMAND'")
    if refused:
        raise UsageError(f"{refused[0]}: {REFUSED[refused[0]]}")
    settings = Settings.from_env().with_flags(flags)
    if runtime_flags:
        settings = settings._replace(runtime_flags=tuple(runtime_flags))
    return _other_globals(settings, other), rest


def _other_globals(settings: Settings, other: dict[str, str]) -> Settings:
    level = other.get("--log-level")
    debug_flag = other.get("--debug") or other.get("-D")
    if level is not None or debug_flag is not None or "--config" in other:
        settings = _log_globals(settings, level, debug_flag, other.get("--config"))
    backend = other.get("--events-backend")
    if backend is not None and backend not in EVENTS_BACKENDS:
        raise UsageError(f"--events-backend must be one of {', '.join(EVENTS_BACKENDS)}")
    if backend is not None:
        settings = settings._replace(events_logger=backend)
    driver = other.get("--storage-driver")
    if driver is not None:
        # The driver assembles this call's new containers' root filesystems (the layers are
        # stored once, whatever it is, and each container keeps how it was made): switching
        # per call is safe here, as Podman's tests and scripts do it.
        if driver not in ("overlay", "vfs"):
            raise UsageError(f"failed to GetDriver graph {driver} {settings.root}: driver not"
                             " supported (overlay or vfs)")  # fmt: skip
        os.environ["SCOPEBOX_STORAGE_DRIVER"] = driver
    for key in ("--noout", "--syslog"):
        if other.get(key, "false") not in ("true", "false"):
            raise UsageError(f"{key} takes no value (or =true, =false)")
    if other.get("--noout") == "true":
        # Podman's --noout: nothing on stdout (errors still on stderr).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    return settings


def _log_globals(settings: Settings, level: str | None, debug_flag: str | None,
                 config: str | None) -> Settings:
    """--log-level, --debug/-D and --config (loglines is loaded only when one is given)."""
    from supervisor.cli import loglines

    if level is not None and level not in loglines.LEVELS:
        raise PlainExit(f'Log Level "{level}" is not supported, choose from: '
                        + ", ".join(loglines.LEVELS), 1)  # fmt: skip
    if level is not None and debug_flag is not None:
        raise PlainExit("Setting --log-level and --debug is not allowed", 1)
    if debug_flag is not None:
        if debug_flag not in ("true", "false"):
            raise UsageError("--debug takes no value (or =true, =false)")
        level = "debug" if debug_flag == "true" else None
    if level is not None:
        loglines.set_level(level)
    if config is not None:  # Podman's words: scripts look for them
        loglines.log("warn", "The --config flag is ignored by Podman. Exists for Docker"
                     " compatibility")  # fmt: skip
    if level in ("debug", "trace"):
        settings = settings._replace(debug=True)
    if level in ("trace", "debug", "info"):
        _log_start(level, settings)
    return settings


def _log_start(level: str, settings: Settings) -> None:
    """What Podman logs at start-up, in scopebox's terms."""
    from supervisor.cli.loglines import log

    log("info", f"scopebox filtering at log level {level}")
    log("debug", f"Called {' '.join(['scopebox', *sys.argv[1:]])}")
    log("debug", f"Using graph root {settings.root}")
    log("debug", f"Using run root {settings.runroot}")
    log("trace", f"Settings: {settings!r}")


HELP_HELP = """\
Help provides help for any command in the application.
Simply type {prog} help [path to command] for full details.

Usage:
  {prog} help [command]

Options:
  -h, --help   help for help
"""


def _help_verb(args: list[str]) -> list[str]:
    """`help VERB...` is `VERB... --help` (cobra's help command); `help --help` its own."""
    if args[0] in ("-h", "--help", "help"):
        sys.stdout.write(HELP_HELP.format(prog=program()))
        raise SystemExit(0)
    return [*args, "--help"]


def _group_words(group: str, args: list[str]) -> None:
    """A group's help (`GROUP`, `GROUP --help`) and cobra's errors for a missing or unknown
    subcommand, before its verb module is loaded."""
    from supervisor.cli.commands import GROUPS, group_help

    prog = program()
    if not args or args[0] in ("-h", "--help"):
        sys.stdout.write(group_help(prog, group))
        if args:
            raise SystemExit(0)
        sys.stdout.flush()
        raise UsageError(f"missing command '{prog} {group} COMMAND'")  # Podman's words
    if group in OWN_DISPATCH and args[0] not in GROUPS[group] and not args[0].startswith("-"):
        raise UsageError(f"unrecognized command `{prog} {group} {args[0]}`\nTry '{prog} {group}"
                         " --help' for more information")  # fmt: skip


# the groups whose verb module reads its subcommand itself; `image trust` is one within `image`
OWN_DISPATCH = frozenset({"manifest", "kube", "generate", "healthcheck", "image trust"})


def _unknown_flag_first(args: list[str]) -> None:
    """cobra reads the flags before it finds no such command: `podman bad --invalid` is
    an unknown flag."""
    from supervisor.settings import FLAGS

    for arg in args:
        name = arg.partition("=")[0]
        if arg.startswith("-") and arg not in ("-", "--") and name not in FLAGS \
                and name not in ACCEPTED and name not in REFUSED:
            what = f"flag: {name}" if name.startswith("--") else \
                f"shorthand flag: '{name[1:2]}' in {name}"
            raise UsageError(f"unknown {what}\nSee '{program()} --help'")


def _resolve_verb(rest: list[str]) -> tuple[str, list[str]]:
    verb, args = rest[0], rest[1:]
    prog = program()
    if verb in GROUPS:
        _group_words(verb, args)
        sub, args = args[0], args[1:]
        # `network` has only its own subcommands (`network run` must not run a container)
        own_only = verb in ("network", "volume", "pod", "secret", "buildx")
        module = GROUPS[verb].get(sub) or (VERBS.get(sub) if not own_only else None)
        if module is None:
            raise UsageError(f"unrecognized command `{prog} {verb} {sub}`\nTry '{prog} {verb}"
                             " --help' for more information")  # fmt: skip
        if f"{verb} {sub}" in OWN_DISPATCH:
            _group_words(f"{verb} {sub}", args)
        set_invoked(f"{verb} {sub}")
        return module, args
    if verb in OWN_DISPATCH:
        _group_words(verb, args)
    if verb not in VERBS or verb == "cleanup":
        _unknown_flag_first(args)
        raise UsageError(f"unrecognized command `{prog} {verb}`\nTry '{prog} --help' for more"
                         " information")  # fmt: skip
    return VERBS[verb], args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = os.environ.get("SCOPEBOX_DEBUG", "") not in ("", "0", "false")
    notices.listen(lambda message: print(message if message in notices.verbatim
                                         else f"Notice: {message}", file=sys.stderr, flush=True))
    try:
        settings, rest = _split_globals(argv)
        debug = debug or settings.debug
        if rest[0] in ("-v", "--version"):  # Podman's one line: `podman version 4.3.1`
            from supervisor.api.system import package_version

            print(f"scopebox version {package_version()}")
            return 0
        module_name, args = _resolve_verb(rest)
        # __import__, not importlib.import_module: importlib loads warnings (issue 16)
        __import__(f"supervisor.cli.{module_name}")
        module = sys.modules[f"supervisor.cli.{module_name}"]
        _ran.append(module_name)
        code: int = module.main(args, settings)
    except PlainExit as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
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


# performance (issue 16): verbs whose process ends without the interpreter's teardown (every
# module and object freed one by one: ~10-30 ms after a container's config was loaded); they
# leave nothing to it (files closed by their `with` blocks, no threads).
FAST_EXIT = frozenset({"run", "exec_", "attach", "ps", "inspect", "images", "logs", "version",
                       "wait", "pod_create", "pod_rm", "stop"})  # issues 15, 16: bench/pods.py
_ran: list[str] = []  # the verb module main() ran


def entry() -> None:
    if sys.argv:
        set_program(sys.argv[0])
    code = main()
    if _ran and _ran[0] in FAST_EXIT and _only_thread():
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise SystemExit(code) from None
        import atexit

        atexit._run_exitfuncs()
        os._exit(code)
    raise SystemExit(code)


def _only_thread() -> bool:
    """No thread the interpreter would wait for at exit (daemon threads it would not)."""
    threading = sys.modules.get("threading")
    return threading is None or all(
        t.daemon for t in threading.enumerate() if t is not threading.main_thread()
    )


if __name__ == "__main__":
    entry()
