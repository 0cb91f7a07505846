"""scopebox build [-t TAG]... [-f FILE] [--build-arg K=V]... [--target T] [-q] [CONTEXT]"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from supervisor.cli.main import new_parser
from supervisor.settings import Settings

if TYPE_CHECKING:
    import argparse

    from supervisor.resources import ResourceOptions


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a build, raised where the build is."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate_as_interrupt() -> None:
    """SIGTERM (timeout(1), a CI job's end, systemd) and SIGHUP end a build as Ctrl-C does:
    the step's container is removed on the way out (--force-rm) instead of left running with
    the build's process gone."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import build as api
    from supervisor.cli.common import add_default_true, registry_flags
    from supervisor.errors import ScopeboxError, UsageError

    p = new_parser("build", "Build an image using instructions from Containerfiles.")
    p.add_argument("-t", "--tag", action="append", default=[], help="name the image (repeatable)")
    p.add_argument("-f", "--file", action="append", default=[],
                   help="the Containerfile (CONTEXT/Containerfile, else Dockerfile; - stdin)")
    p.add_argument("--build-arg", action="append", default=[], help="ARG value: KEY=VALUE or KEY")
    p.add_argument("--target", default="", help="build up to this stage")
    p.add_argument("--label", action="append", default=[], help="KEY=VALUE on the image")
    p.add_argument("--annotation", action="append", default=[],
                   help="KEY=VALUE in the image's manifest")
    p.add_argument("-e", "--env", action="append", default=[],
                   help="KEY=VALUE for the RUN steps and the image")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image's id")
    p.add_argument("--no-cache", action="store_true", help="reuse no cached step")
    add_default_true(p, "--layers", "cache intermediate images (default: $BUILDAH_LAYERS, else"
                     " true)", default=None)
    add_default_true(p, "--rm", "remove the step containers after a build (default true)")
    add_default_true(p, "--force-rm", "remove them after a failed build too (default true)")
    p.add_argument("--format", default="oci", help="the manifest's type: oci or docker")
    p.add_argument("--pull", default="missing",
                   help="when to pull a base image: missing, always (--pull), never")
    p.add_argument("--network", "--net", default="", help="the RUN steps' network (as run's)")
    p.add_argument("--iidfile", help="write the image's id (sha256:...) to this file")
    p.add_argument("--squash", action="store_true", help="refused: one layer per step")
    p.add_argument("--squash-all", action="store_true", help="refused")
    p.add_argument("--platform", default="", help="noted: the host's platform is built")
    p.add_argument("--ignorefile", default="",
                   help="the ignore file, instead of the context's .containerignore")
    p.add_argument("--pull-never", action="store_true", help="the same as --pull=never")
    p.add_argument("--jobs", type=int, default=1, help="stages built at once (one here)")
    p.add_argument("--load", action="store_true",
                   help="buildx's: the image is stored locally anyway")
    p.add_argument("--logfile", default="",
                   help="write the build's output (its lines, RUN's output, the id) here")
    p.add_argument("--ulimit", action="append", default=[],
                   help="the RUN steps' limits, as run's (TYPE=SOFT[:HARD])")
    p.add_argument("--security-opt", action="append", default=[],
                   help="the RUN steps' security options, as run's (seccomp=, ...)")
    p.add_argument("--dns", action="append", default=[], help="the RUN steps' DNS servers")
    p.add_argument("--dns-search", action="append", default=[],
                   help="the RUN steps' DNS search domains")
    p.add_argument("--dns-option", action="append", default=[], help="the RUN steps' DNS options")
    p.add_argument("--add-host", action="append", default=[],
                   help="HOST:IP in the RUN steps' /etc/hosts")
    p.add_argument("--no-hosts", action="store_true",
                   help="the RUN steps get no /etc/hosts of the engine's")
    p.add_argument("--cap-add", action="append", default=[],
                   help="add capabilities to the RUN steps (NAME, CAP_NAME or all)")
    p.add_argument("--cap-drop", action="append", default=[],
                   help="drop capabilities from the RUN steps (NAME or all)")
    p.add_argument("--device", action="append", default=[],
                   help="a host device in the RUN steps: HOST[:CTR][:rwm]")
    p.add_argument("-v", "--volume", action="append", default=[],
                   help="bind a host path into the RUN steps (HOST:CTR[:OPTS]; not in the image)")
    # the RUN steps' limits: the resource flags podman build has
    p.add_argument("-m", "--memory", help="the RUN steps' memory limit, e.g. 512m")
    p.add_argument("--memory-swap", help="memory plus swap limit, or -1 for unlimited swap")
    p.add_argument("--cpu-shares", "-c", type=int, help="relative CPU weight")
    p.add_argument("--cpu-quota", type=int, help="CFS quota in µs per period")
    p.add_argument("--cpu-period", type=int, help="CFS period in µs")
    p.add_argument("--cpuset-cpus", help="CPUs to run on, e.g. 0-1")
    p.add_argument("--cpuset-mems", help="memory nodes to use, e.g. 0")
    p.add_argument("--cgroup-parent", help="the RUN steps' parent cgroup")
    p.add_argument("--shm-size", help="the RUN steps' /dev/shm size, e.g. 64m")
    registry_flags(p, cert_dir=True)  # pulling a base image
    p.add_argument("context", nargs="?", default=None, help="the build context directory")
    # Go's optional value: `--pull` alone is `--pull=always`, the next word is not its value
    ns = p.parse_args(["--pull=always" if a == "--pull" else a for a in argv])
    if ns.layers is None:  # Podman's: the environment's BUILDAH_LAYERS, else true
        ns.layers = _go_bool(os.environ.get("BUILDAH_LAYERS", ""), True)
    if ns.authfile and not os.path.exists(ns.authfile):
        raise UsageError(f"checking authfile: stat {ns.authfile}: no such file or directory")
    if ns.pull_never:
        ns.pull = "never"
    if ns.jobs < 0:
        raise UsageError(f"--jobs must be at least 0, not {ns.jobs}")
    if ns.squash or ns.squash_all:
        raise UsageError("--squash is not supported: the image keeps one layer per step")
    if ns.platform:
        from supervisor.notices import notice

        notice(f"--platform {ns.platform}: this builder builds for the host's platform only")
    files = [f for f in ns.file if f]
    if ns.context is None:  # Podman's: the first Containerfile's directory, else here
        given = next((f for f in files if f != "-"), "")
        ns.context = os.path.dirname(os.path.abspath(given)) if given else "."
    file = files[-1] if len(files) == 1 else ""
    text = sys.stdin.read() if file == "-" else None
    if len(files) > 1:  # several: one Containerfile, in their order (buildah's)
        text = "\n".join(sys.stdin.read() if f == "-" else api.read_file(
            api.BuildRequest(ns.context, f)) for f in files)  # fmt: skip
        file = "-"
    empty = None
    if ns.context == "-":  # buildah's: the Containerfile on stdin, an empty context
        import tempfile

        if text is None:
            text, file = sys.stdin.read(), "-"
        empty = tempfile.TemporaryDirectory(prefix="scopebox-build-")
        ns.context = empty.name
    req = api.BuildRequest(
        ns.context, "" if file == "-" else file, text, tuple(ns.tag), _args(ns.build_arg),
        ns.target, _pairs(ns.label, "--label"), _pairs(ns.annotation, "--annotation"), ns.quiet,
        ns.no_cache, ns.layers, ns.rm, ns.force_rm, ns.format, ns.pull, ns.network,
        tuple(_env(ns.env)), ns.ignorefile, tuple(ns.ulimit), tuple(ns.security_opt),
        tuple(ns.dns), tuple(ns.dns_search), tuple(ns.dns_option), tuple(ns.add_host),
        ns.authfile, ns.tls_verify, ns.creds, ns.cert_dir, ns.no_hosts, tuple(ns.cap_add),
        tuple(ns.cap_drop), tuple(ns.device),
        tuple(_bind(v) for v in ns.volume), _resources(ns), ns.cgroup_parent,
        ns.shm_size)  # fmt: skip
    sys.stdout.flush()
    if ns.logfile:  # Podman's: what the build prints, errors and the id too, goes there
        try:
            log_fd = os.open(ns.logfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                             0o644)  # fmt: skip
        except OSError as exc:
            raise UsageError(f"open {ns.logfile}: {(exc.strerror or '').lower()}") from None
        sys.stderr.flush()
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
    _terminate_as_interrupt()
    try:
        image_id = api.build(settings, req, sys.stdout.fileno())
    except Terminated as exc:
        return 128 + exc.signum
    except ScopeboxError:
        if ns.iidfile:
            from supervisor.cli.output import remove_regular_file

            remove_regular_file(ns.iidfile)  # no stale id from an earlier build
        raise
    finally:
        if empty is not None:
            empty.cleanup()
    if ns.iidfile:
        try:
            with open(ns.iidfile, "w") as f:
                f.write(f"sha256:{image_id}")
        except OSError as exc:
            raise UsageError(f"failed to write image ID: open {ns.iidfile}:"
                             f" {(exc.strerror or '').lower()}") from exc  # fmt: skip
    print(image_id)
    return 0


def _resources(ns: argparse.Namespace) -> ResourceOptions:
    from supervisor.resources import ResourceOptions

    return ResourceOptions(memory=ns.memory, memory_swap=ns.memory_swap,
                           cpu_shares=ns.cpu_shares, cpu_quota=ns.cpu_quota,
                           cpu_period=ns.cpu_period, cpuset_cpus=ns.cpuset_cpus,
                           cpuset_mems=ns.cpuset_mems)  # fmt: skip


def _bind(value: str) -> str:
    """build -v: a host path only (buildah's), absolute."""
    source = value.partition(":")[0]
    if not source.startswith("/"):
        from supervisor.errors import UsageError

        raise UsageError(f'invalid host path, must be an absolute path "{source}"')  # Podman's
    return value


def _go_bool(text: str, default: bool) -> bool:
    """Go's strconv.ParseBool, with `default` for "" or a word it refuses."""
    low = text.strip().lower()
    if low in ("1", "t", "true"):
        return True
    if low in ("0", "f", "false"):
        return False
    return default


def _args(items: list[str]) -> dict[str, str]:
    """--build-arg K=V, or K alone: the value from our environment (Podman's rule)."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if sep:
            out[key] = value
        elif key in os.environ:
            out[key] = os.environ[key]
    return out


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            from supervisor.errors import UsageError

            raise UsageError(f"invalid {flag} {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def _env(items: list[str]) -> list[str]:
    return [i if "=" in i else f"{i}={os.environ.get(i, '')}" for i in items]
