"""This host and this program: version, info."""

from __future__ import annotations

import os
import sys

from supervisor.api import session
from supervisor.records import NamedTuple
from supervisor.settings import LOG_DRIVERS, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from supervisor.engine import Engine

_GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


class VersionInfo(NamedTuple):
    """Podman's `version` keys (`define.Version`); GoVersion holds the Python version."""

    APIVersion: str
    Version: str
    GoVersion: str
    GitCommit: str
    BuiltTime: str
    Built: int
    OsArch: str
    Os: str


class VersionReport(NamedTuple):
    client: VersionInfo
    server: VersionInfo | None  # the local engine, when this user may use it (root)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Client": self.client._asdict()}
        if self.server is not None:
            out["Server"] = self.server._asdict()
        return out


def package_version() -> str:
    found = _dist_info_version()
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scopebox")
    except PackageNotFoundError:
        return "unknown"


def _dist_info_version() -> str | None:
    """performance (issue 16): the first `scopebox-*.dist-info` on sys.path, as
    importlib.metadata finds it, without importing it (~15 ms: email, zipfile, pathlib)."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.lower().startswith("scopebox-") and name.endswith(".dist-info"):
                try:
                    with open(os.path.join(entry, name, "METADATA"), encoding="utf-8") as f:
                        for line in f:
                            if line.startswith("Version:"):
                                return line[len("Version:") :].strip()
                            if not line.strip():
                                break  # the headers end
                except OSError:
                    pass
    return None


def version() -> VersionReport:
    import time

    ver = package_version()
    arch = os.uname().machine  # platform.machine(), without importing platform
    built = 0  # no build stamp yet (Podman's distribution builds say the same)
    info = VersionInfo(
        APIVersion=ver,
        Version=ver,
        GoVersion=f"python{sys.version.split()[0]}",
        GitCommit="",
        BuiltTime=time.asctime(time.gmtime(built)),
        Built=built,
        OsArch=f"linux/{_GOARCH.get(arch, arch)}",
        Os="linux",
    )
    # The server is this same engine, run in-process (rootless too, issue 17).
    return VersionReport(client=info, server=info)


def info(settings: Settings) -> dict[str, Any]:
    """`info`: Podman's structure and JSON keys (`host`, `store`, `registries`, `plugins`,
    `version`) for what scopebox has; `host.systemd` and `host.cgroupLayout` are its own."""
    import platform  # performance: not for `version`

    from cgroupfs.layout import detect

    with session(settings) as eng:
        systemd = eng.systemd() is not None
        rt = eng.runtime()
        containers = [row.status.value for row in eng.store.list_containers()]
        images = len(eng.store.list_images())
        paths = eng.paths
    layout = detect().mode.value
    host = {
        "arch": _GOARCH.get(platform.machine(), platform.machine()),
        "cgroupManager": "systemd" if systemd else "cgroupfs",
        "cgroupVersion": "v2" if layout == "unified" else "v1",
        "cgroupLayout": layout,
        "cpus": os.cpu_count() or 1,
        "distribution": _distribution(),
        "eventLogger": _event_logger(settings),  # events (issue 14)
        "hostname": platform.node(),
        "kernel": platform.release(),
        "logDriver": settings.log_driver or ("journald" if systemd else "k8s-file"),
        **_memory(),
        "networkBackend": "scopebox",  # networking: its own nftables/iproute2 backend
        "ociRuntime": {"name": rt.name, "package": "", "path": rt.path,
                       "version": _runtime_version(rt.path)},
        "os": "linux",
        **_rootless_host(),
        "serviceIsRemote": False,
        "systemd": systemd,
        "uptime": _uptime(),
    }
    store = {
        "configFile": "",
        "containerStore": {
            "number": len(containers),
            "paused": containers.count("paused"),
            "running": containers.count("running"),
            "stopped": len(containers) - containers.count("running") - containers.count("paused"),
        },
        "graphDriverName": os.environ.get("SCOPEBOX_STORAGE_DRIVER") or "overlay",
        "graphRoot": paths.root,
        "imageStore": {"number": images},
        "runRoot": paths.runroot,
        "volumePath": "",
    }
    plugins = {"log": list(LOG_DRIVERS), "network": [], "volume": [], "authorization": None}
    return {"host": host, "store": store, "registries": {}, "plugins": plugins,
            "version": version().client._asdict()}


def unshare(settings: Settings, argv: list[str], rootless_netns: bool = False) -> int:
    """Rootless (issue 17): replace this process by `argv` (default: $SHELL) in the user's
    namespace, as root of it, with CONTAINERS_GRAPHROOT/CONTAINERS_RUNROOT set (as Podman's
    `unshare`). Refused for root: the host's root has no such namespace."""
    from supervisor.errors import CommandCannotRun, CommandNotFound, UsageError

    if os.geteuid() == 0 and not _rootless():
        raise UsageError("please use unshare with rootless")
    import shutil
    import signal

    argv = argv or [os.environ.get("SHELL") or "/bin/sh"]
    with session(settings) as eng:  # joins the namespace (made if needed)
        paths = eng.paths
        env = {**os.environ, "CONTAINERS_GRAPHROOT": paths.root,
               "CONTAINERS_RUNROOT": paths.runroot}
        if shutil.which(argv[0], path=env.get("PATH")) is None:
            raise CommandNotFound(f'exec: "{argv[0]}": executable file not found in $PATH')
        if rootless_netns:  # Podman's: the one the user's bridge networks share
            return _in_rootless_netns(eng, argv, env)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # Python ignores it; the command must not
    try:
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError as exc:
        raise CommandNotFound(f"{argv[0]}: executable file not found in $PATH") from exc
    except OSError as exc:
        raise CommandCannotRun(f"{argv[0]}: {exc.strerror}") from exc


def _in_rootless_netns(eng: Engine, argv: list[str], env: dict[str, str]) -> int:
    """Rootless (issue 17): `argv` in the user's network namespace (made if there is none),
    waited for; the namespace goes afterwards when no container uses it (as Podman's)."""
    import functools
    import subprocess

    from supervisor.errors import CommandCannotRun
    from supervisor.network.db import NetworkDB
    from supervisor.rootless import netns

    ndb = NetworkDB(eng.store)
    try:
        try:  # started from a thread in the namespace: the command is there
            proc = netns.run_in(netns.ensure(eng.paths, ndb),
                                functools.partial(subprocess.Popen, argv, env=env))
        except OSError as exc:
            raise CommandCannotRun(f"{argv[0]}: {exc.strerror}") from exc
        import signal

        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command's, not ours
        try:
            code = proc.wait()
        finally:
            signal.signal(signal.SIGINT, old)
    finally:
        netns.release(eng.paths, ndb)
    return code if code >= 0 else 128 - code


def _rootless() -> bool:
    from supervisor import rootless

    return rootless.is_rootless()


def _rootless_host() -> dict[str, Any]:
    """Rootless (issue 17): Podman's `host.security.rootless` and `host.idMappings` (the
    user's namespace, as seen from inside it)."""
    from supervisor import rootless

    if not rootless.is_rootless():
        return {"security": {"rootless": False}}
    return {"idMappings": {"uidmap": _id_map("/proc/self/uid_map"),
                           "gidmap": _id_map("/proc/self/gid_map")},
            "security": {"rootless": True}}


def _id_map(path: str) -> list[dict[str, int]]:
    with open(path, encoding="ascii") as f:
        rows = [line.split() for line in f if line.strip()]
    return [{"container_id": int(a), "host_id": int(b), "size": int(c)} for a, b, c in rows]


# Podman's template names (Go struct fields) where they are not the JSON key capitalised.
GO_NAMES = {"ociRuntime": "OCIRuntime", "cgroupVersion": "CgroupsVersion", "cpus": "CPUs",
            "os": "OS", "APIVersion": "APIVersion"}


def go_fields(data: Any) -> Any:
    """The same document under Podman's template names (`{{.Host.OCIRuntime.Name}}`); the
    JSON keys stay usable too (`{{.host.ociRuntime.name}}`)."""
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        value = go_fields(value)
        out[key] = value
        out[GO_NAMES.get(key, key[:1].upper() + key[1:])] = value
    return out


def _runtime_version(path: str) -> str:
    import subprocess

    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
        return out.stdout.strip()
    except OSError:
        return ""


def _distribution() -> dict[str, str]:
    fields = {}
    try:
        with open("/etc/os-release") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                fields[key] = value.strip('"')
    except OSError:
        pass
    return {"distribution": fields.get("ID", ""), "version": fields.get("VERSION_ID", ""),
            "codename": fields.get("VERSION_CODENAME", "")}


def _memory() -> dict[str, int]:
    info = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return {"memFree": info.get("MemAvailable", 0), "memTotal": info.get("MemTotal", 0),
            "swapFree": info.get("SwapFree", 0), "swapTotal": info.get("SwapTotal", 0)}


def _uptime() -> str:
    """Podman's form: `3h 46m 53.00s (Approximately 0.12 days)`."""
    try:
        with open("/proc/uptime") as f:
            secs = float(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return ""
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h)}h {int(m)}m {s:.2f}s (Approximately {secs / 86400:.2f} days)"


def _event_logger(settings: Settings) -> str:  # events (issue 14)
    from supervisor.events.write import backend

    return backend(settings)


def reset(settings: Settings) -> list[str]:
    """`system reset`: every pod and container (killed at once), every network but the
    default, volume, secret and image, then the store's directories: the root, and what the
    run root holds but a listening socket (the API's, systemd's scopebox.socket: kept). What
    could not go is returned, a line each; a mount still under the root keeps the root (its
    files may be the host's: a bind volume)."""
    from supervisor.api import containers, images, networks, pods, secrets, volumes
    from supervisor.network.definition import DEFAULT_NAME

    problems: list[str] = []

    def note(reports: list[Any]) -> None:
        problems.extend(str(r.err) for r in reports if r.err is not None)

    note(pods.remove(settings, pods.all_ids(settings), pods.RemoveOptions(force=True, timeout=0)))
    note(containers.remove(settings, containers.RemoveOptions(
        [], force=True, all=True, timeout=0, volumes=True)))  # fmt: skip
    names = [n["name"] for n in networks.list_networks(settings) if n["name"] != DEFAULT_NAME]
    note(networks.remove(settings, names, force=True))
    note(volumes.remove(settings, [], force=True, all=True))
    note(secrets.remove(settings, [], all=True))
    note(images.remove(settings, [], force=True, all=True))
    paths = settings.paths
    problems.extend(_remove_tree(paths.root, keep_sockets=False))
    problems.extend(_remove_tree(paths.runroot, keep_sockets=True))
    return problems


def _remove_tree(top: str, keep_sockets: bool) -> list[str]:
    import contextlib
    import shutil
    import stat

    from supervisor.errors import SystemError_
    from supervisor.mount import mounts_under, umount

    if top == "/" or not os.path.isdir(top):
        return []
    for target in reversed(mounts_under(top)):  # left by a process killed mid-way
        with contextlib.suppress(SystemError_):
            umount(target, detach=True)
    if left := mounts_under(top):
        return [f"{top}: not removed, {left[0]} is still mounted"]
    failed: list[str] = []
    for entry in os.scandir(top):
        if keep_sockets and stat.S_ISSOCK(entry.stat(follow_symlinks=False).st_mode):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError as exc:
            failed.append(f"{entry.path}: {exc.strerror}")
    if not failed:
        with contextlib.suppress(OSError):  # a socket kept: the run root stays
            os.rmdir(top)
    return failed
