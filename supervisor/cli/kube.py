"""scopebox kube play|generate|down, play kube, generate kube (issue 15): parse, call
`supervisor.api.kube`, print as Podman 4.3 prints."""

from __future__ import annotations

import argparse
import os
import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.api.kube import PlayExtra

USAGE = "usage: scopebox kube {play|generate|down} [OPTIONS] ..."


def main(argv: list[str], settings: Settings) -> int:
    """`scopebox kube VERB ...`"""
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    verb, rest = argv[0], argv[1:]
    if verb == "play":
        return play(rest, settings)
    if verb == "generate":
        return generate(rest, settings)
    if verb == "down":
        return play(["--down", *rest], settings, prog="kube down")
    raise UsageError(f"unrecognized command `scopebox kube {verb}` (see 'scopebox kube --help')")


def _read(path: str) -> str:
    try:
        if path == "-":
            return sys.stdin.read()
        if path.startswith(("http://", "https://")):  # Podman 4.3 plays a URL's body too
            return _fetch(path)
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read kube file {path!r}: {reason}") from None


def _fetch(url: str) -> str:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as resp:  # http(s) only, checked above
            data: bytes = resp.read()
    except urllib.error.HTTPError as exc:
        raise UsageError(f"cannot read kube file {url!r}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UsageError(f"cannot read kube file {url!r}: {reason}") from None
    return data.decode("utf-8")


def play(argv: list[str], settings: Settings, prog: str = "kube play") -> int:
    from supervisor.api import kube

    p = new_parser(prog, "Create pods, containers and volumes from Kubernetes YAML.")
    a = p.add_argument
    a("--down", action="store_true", help="stop and remove the pods the file made")
    a("--replace", action="store_true", help="remove the file's pods first, then make them")
    a("--start", action="store_true", default=True, help="start the pods (default true)")
    a("--start=false", dest="start", action="store_false", help=argparse.SUPPRESS)
    a("--network", "--net", default="", help="the pods' network")
    a("--configmap", action="append", default=[], help="YAML file(s) of ConfigMaps")
    a("--log-driver", default=None, help="the containers' log driver")
    a("-q", "--quiet", action="store_true", help="accepted (nothing is pulled noisily)")
    _play_flags(p)
    a("file", help="the YAML file, or - for standard input")
    ns = p.parse_args(argv)
    extra = _play_extra(ns)
    text = _read(ns.file)
    if ns.down:
        report = kube.down(settings, text)
        print("Pods stopped:")
        for pid in report.stopped:
            print(pid)
        print("Pods removed:")
        for pid in report.removed:
            print(pid)
        return 0
    maps = tuple(_read(path) for item in ns.configmap for path in item.split(",") if path)
    opts = kube.PlayOptions(start=ns.start, replace=ns.replace, network=ns.network,
                            configmaps=maps, log_driver=ns.log_driver, extra=extra,
                            service_container=ns.service_container)
    result = kube.play(settings, text, opts)
    _print_play(result)
    # What is left out is said (issue 15; Podman 4.3 is silent), after the report: scripts
    # and Podman's tests read the report's first lines (`Pod:`, the pod's id)
    sys.stdout.flush()
    for warning in result.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    return 0


def _play_flags(p: argparse.ArgumentParser) -> None:
    """issue 19: the rest of Podman 4.3's `kube play` flags."""
    from supervisor.cli.common import _bool_flag, registry_flags

    a = p.add_argument
    a("--annotation", action="append", default=[], help="KEY=VALUE on every container")
    a("--build", type=_bool_flag, nargs="?", const=True, default=False,
      help="build an image that has a directory with a Containerfile in --context-dir")
    a("--context-dir", help="with --build: where the images' build directories are")
    a("--ip", action="append", default=[], help="a static IP for each pod, in order")
    a("--mac-address", action="append", default=[], help="a static MAC for each pod, in order")
    a("--log-opt", action="append", default=[], help="the containers' log options: KEY=VALUE")
    a("--no-hosts", action="store_true", help="do not make /etc/hosts in the pods")
    a("--seccomp-profile-root", help="where `localhost/` seccomp profiles of the annotations"
      " are (default /var/lib/kubelet/seccomp)")
    a("--userns", default="", help="the pods' user namespace (as pod create --userns)")
    # Podman 4.3's hidden flag, which its podman-kube@.service passes
    a("--service-container", type=_bool_flag, nargs="?", const=True, default=False,
      help="a container standing for the pods, started before them (for a systemd unit)")
    registry_flags(p, cert_dir=True)


MAX_KUBE_ANNOTATION = 63  # Podman's define.MaxKubeAnnotation


def _play_extra(ns: argparse.Namespace) -> PlayExtra:
    """The flags above, checked (Podman's words where scripts see them) before anything."""
    from supervisor.api.kube import PlayExtra

    if ns.context_dir is not None and not ns.build:  # Podman's rule and words
        raise UsageError("--build must be specified when using --context-dir option")
    if ns.authfile and not os.path.exists(ns.authfile):
        raise UsageError(f"stat {ns.authfile}: no such file or directory")
    log_opts = {}
    for item in ns.log_opt:
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"invalid --log-opt {item!r}: expected key=value")
        log_opts[key] = value
    for item in ns.annotation:  # Podman's check and words, before anything is pulled
        value = item.partition("=")[2]
        if len(value) > MAX_KUBE_ANNOTATION:
            raise UsageError("annotation exceeds maximum size, "
                             f"{MAX_KUBE_ANNOTATION}, of kubernetes annotation: {value}")
    return PlayExtra(tuple(ns.annotation), log_opts, ns.no_hosts, tuple(ns.ip),
                     tuple(ns.mac_address), ns.userns, ns.seccomp_profile_root,
                     ns.tls_verify, ns.creds, ns.authfile, ns.cert_dir,
                     (ns.context_dir or os.getcwd())  # Podman: the working directory
                     if ns.build else None)


def _print_play(result: object) -> None:
    from supervisor.api.kube import PlayReport

    assert isinstance(result, PlayReport)
    if result.volumes:
        print("Volumes:")  # Podman's heading, one volume or more
        for name in result.volumes:
            print(name)
    for pod in result.pods:
        print("Pod:")
        print(pod.id)
        if pod.containers:
            print("Container:" if len(pod.containers) == 1 else "Containers:")
            for cid in pod.containers:
                print(cid)
        print()


def generate(argv: list[str], settings: Settings, prog: str = "kube generate") -> int:
    from supervisor.api import kube

    p = new_parser(prog, "Generate Kubernetes YAML from containers, pods or volumes.")
    p.synopsis = "[options] {CONTAINER...|POD...|VOLUME...}"  # Podman's synopsis
    a = p.add_argument
    a("-f", "--filename", default="", help="write the YAML here")
    a("-s", "--service", action="store_true", help="add a Service for the published ports")
    a("-t", "--type", default="pod", help="pod (default) or deployment")
    a("refs", nargs="+", metavar="CONTAINER|POD|VOLUME")
    ns = p.parse_args(argv)
    report = kube.generate(settings, ns.refs, kube.GenerateOptions(ns.service, ns.type))
    for warning in report.warnings:
        print(f"Warning: {warning}", file=sys.stderr)
    if not ns.filename:
        sys.stdout.write(report.text)
        return 0
    if os.path.lexists(ns.filename):  # Podman's rule and message
        raise UsageError(f'cannot write to "{ns.filename}"; file exists')
    try:
        with open(ns.filename, "x", encoding="utf-8") as f:
            f.write(report.text)
    except OSError as exc:
        raise UsageError(f'cannot write to "{ns.filename}": {exc.strerror}') from None
    return 0
