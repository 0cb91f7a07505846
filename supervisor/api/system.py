"""This host and this program: version, info."""

from __future__ import annotations

import os
import sys

from supervisor.api import session
from supervisor.records import NamedTuple
from supervisor.settings import LOG_DRIVERS, Settings
from supervisor.version import BUILT
from supervisor.version import package_version as package_version  # re-exported

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




def version() -> VersionReport:
    import time

    ver = package_version()
    arch = os.uname().machine  # platform.machine(), without importing platform
    built = BUILT
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
    ver = package_version()
    host = {
        "arch": _GOARCH.get(platform.machine(), platform.machine()),
        # scopebox's own builder (`build`), as Podman names its vendored buildah's version
        "buildahVersion": ver,
        "cgroupControllers": _cgroup_controllers(layout == "unified"),
        "cgroupManager": "systemd" if systemd else "cgroupfs",
        "cgroupVersion": "v2" if layout == "unified" else "v1",
        "cgroupLayout": layout,
        # scopebox's monitor holds conmon's place (the package is named after it)
        "conmon": {"package": f"scopebox {ver} (conmon/: its own monitor)",
                   "path": _monitor_path(), "version": f"scopebox monitor {ver}"},
        "cpus": os.cpu_count() or 1,
        "cpuUtilization": _cpu_utilization(),
        "distribution": _distribution(),
        "eventLogger": _event_logger(settings),  # events (issue 14)
        "hostname": platform.node(),
        "kernel": platform.release(),
        "linkmode": "dynamic",
        "logDriver": settings.log_driver or ("journald" if systemd else "k8s-file"),
        **_memory(),
        "networkBackend": "scopebox",  # networking: its own nftables/iproute2 backend
        "ociRuntime": {"name": rt.name, "package": "", "path": rt.path,
                       "version": _runtime_version(rt.path)},
        "os": "linux",
        "remoteSocket": _remote_socket(paths.runroot),
        **_rootless_host(),
        "serviceIsRemote": False,
        "slirp4netns": _helper_binary("slirp4netns"),
        "systemd": systemd,
        "uptime": _uptime(),
    }
    driver = os.environ.get("SCOPEBOX_STORAGE_DRIVER") or "overlay"
    store = {
        "configFile": "",
        "containerStore": {
            "number": len(containers),
            "paused": containers.count("paused"),
            "running": containers.count("running"),
            "stopped": len(containers) - containers.count("running") - containers.count("paused"),
        },
        "graphDriverName": driver,
        "graphOptions": {},
        "graphRoot": paths.root,
        **_disk(paths.root),
        "graphStatus": _graph_status(driver, paths.root),
        "imageCopyTmpDir": os.environ.get("TMPDIR") or "/var/tmp",
        "imageStore": {"number": images},
        "runRoot": paths.runroot,
        "volumePath": paths.volumes,
    }
    # the drivers scopebox has: networks bridge only, volumes local only
    plugins = {"log": list(LOG_DRIVERS), "network": ["bridge"], "volume": ["local"],
               "authorization": None}  # fmt: skip
    return {"host": host, "store": store, "registries": _registries(), "plugins": plugins,
            "version": version().client._asdict()}


def _registries() -> dict[str, Any]:
    """registries.conf as Podman's info reports it: each [[registry]] by its prefix, the
    search list as `search`; a file that does not parse reports nothing (pull says why)."""
    from supervisor.errors import ScopeboxError
    from supervisor.registry.conf import load

    try:
        conf = load()
    except ScopeboxError:
        return {}
    out: dict[str, Any] = {
        r.prefix: {"Prefix": r.prefix, "Location": r.location, "Insecure": r.insecure,
                   "PullFromMirror": "",
                   "Mirrors": [{"Location": m.location, "Insecure": m.insecure,
                                "PullFromMirror": m.pull_from_mirror}
                               for m in r.mirrors] or None,
                   "Blocked": r.blocked, "MirrorByDigestOnly": r.mirror_by_digest_only}
        for r in conf.registries
    }  # fmt: skip
    if conf.search:
        out["search"] = list(conf.search)
    return out


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
    """Rootless (issue 17): Podman's `host.security` and `host.idMappings` (the user's
    namespace, as seen from inside it; none for root)."""
    from supervisor import rootless
    from supervisor.security.caps import DEFAULT
    from supervisor.security.host import apparmor_enabled, conf_defaults
    from supervisor.security.seccomp import DEFAULT_PROFILE

    is_rootless = rootless.is_rootless()
    caps, profile = conf_defaults(os.environ)  # containers.conf's, else containers-common's
    security = {"apparmorEnabled": apparmor_enabled(),
                "capabilities": ",".join(sorted(caps if caps is not None else DEFAULT)),
                "rootless": is_rootless, "seccompEnabled": True,
                "seccompProfilePath": profile or DEFAULT_PROFILE,
                "selinuxEnabled": os.path.exists("/sys/fs/selinux/enforce")}
    if not is_rootless:
        return {"idMappings": {"gidmap": None, "uidmap": None}, "security": security}
    return {"idMappings": {"uidmap": _id_map("/proc/self/uid_map"),
                           "gidmap": _id_map("/proc/self/gid_map")},
            "security": security}


def _cgroup_controllers(unified: bool) -> list[str]:
    """v2: the root's (or the user's delegated) cgroup.controllers; v1: the controllers the
    kernel has enabled, in /proc/cgroups' order, that have a hierarchy mounted."""
    if unified:
        try:
            with open("/proc/self/cgroup") as f:
                own = next((line.split(":", 2)[2].strip() for line in f
                            if line.startswith("0::")), "/")
            path = "/sys/fs/cgroup" + (own if os.geteuid() != 0 else "")
            with open(os.path.join(path, "cgroup.controllers")) as f:
                return f.read().split()
        except (OSError, StopIteration):
            return []
    found = []
    try:
        with open("/proc/cgroups") as f:
            for line in f:
                fields = line.split()
                if line.startswith("#") or len(fields) < 4 or fields[3] != "1":
                    continue
                if os.path.isdir(f"/sys/fs/cgroup/{fields[0]}"):
                    found.append(fields[0])
    except OSError:
        pass
    return found


def _cpu_utilization() -> dict[str, float]:
    """Podman's: user, system and idle shares of the CPU time since boot (/proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return {"userPercent": 0.0, "systemPercent": 0.0, "idlePercent": 0.0}
    total = sum(fields[:8]) or 1
    user, system, idle = fields[0] + fields[1], fields[2], fields[3]
    return {"userPercent": round(100 * user / total, 2),
            "systemPercent": round(100 * system / total, 2),
            "idlePercent": round(100 * idle / total, 2)}


def _monitor_path() -> str:
    """The per-container monitor's entry point (the conmon/ package beside supervisor/)."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(here, "conmon", "main.py")


def _remote_socket(runroot: str) -> dict[str, Any]:
    path = os.path.join(runroot, "scopebox.sock")
    return {"path": path, "exists": True} if os.path.exists(path) else {"path": path}


def _helper_binary(name: str) -> dict[str, str]:
    """Podman's report of a helper it runs: path, Debian package and `--version`."""
    import shutil
    import subprocess

    path = shutil.which(name) or ""
    package = version = ""
    if path:
        try:
            out = subprocess.run(["dpkg-query", "-S", os.path.realpath(path)],
                                 capture_output=True, text=True, check=False)
            pkg = out.stdout.partition(":")[0] if out.returncode == 0 else ""
            if pkg:
                fmt = "${Package}_${Version}_${Architecture}"
                out = subprocess.run(["dpkg-query", "-W", "-f", fmt, pkg],
                                     capture_output=True, text=True, check=False)
                package = out.stdout.strip() if out.returncode == 0 else ""
        except OSError:
            pass
        version = _runtime_version(path)
    return {"executable": path, "package": package, "version": version}


def _disk(root: str) -> dict[str, int]:
    try:
        st = os.statvfs(root)
    except OSError:
        return {"graphRootAllocated": 0, "graphRootUsed": 0}
    return {"graphRootAllocated": st.f_blocks * st.f_frsize,
            "graphRootUsed": (st.f_blocks - st.f_bfree) * st.f_frsize}


# Podman's names of the backing filesystem (containers/storage's FsNames), for the common ones.
_FS_NAMES = {"ext2": "extfs", "ext3": "extfs", "ext4": "extfs", "xfs": "xfs", "btrfs": "btrfs",
             "tmpfs": "tmpfs", "overlay": "overlayfs", "zfs": "zfs", "nfs": "nfs", "nfs4": "nfs"}


def _graph_status(driver: str, root: str) -> dict[str, str]:
    if driver != "overlay":
        return {}
    return {"Backing Filesystem": _FS_NAMES.get(_fs_type(root), "<unknown>"),
            "Native Overlay Diff": "true", "Supports d_type": "true", "Using metacopy": "false"}


def _fs_type(path: str) -> str:
    """The type of the mount holding `path` (the longest mount point above it)."""
    path = os.path.realpath(path)
    best, kind = "", ""
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, _, right = line.partition(" - ")
                point = left.split()[4].replace("\\040", " ")
                inside = path == point or path.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, kind = point, right.split()[0]
    except (OSError, IndexError):
        pass
    return kind


def _id_map(path: str) -> list[dict[str, int]]:
    with open(path, encoding="ascii") as f:
        rows = [line.split() for line in f if line.strip()]
    return [{"container_id": int(a), "host_id": int(b), "size": int(c)} for a, b, c in rows]


# Podman's template names (Go struct fields) where they are not the JSON key capitalised.
GO_NAMES = {"ociRuntime": "OCIRuntime", "cgroupVersion": "CgroupsVersion", "cpus": "CPUs",
            "os": "OS", "APIVersion": "APIVersion", "cpuUtilization": "CPUUtilization",
            "idMappings": "IDMappings", "uidmap": "UIDMap", "gidmap": "GIDMap",
            "slirp4netns": "Slirp4NetNS", "apparmorEnabled": "AppArmorEnabled",
            "seccompEnabled": "SECCOMPEnabled", "seccompProfilePath": "SECCOMPProfilePath",
            "selinuxEnabled": "SELinuxEnabled", "capabilities": "DefaultCapabilities"}


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


class PruneReport(NamedTuple):
    """`system prune`: what went, by kind, and the bytes the images' layers freed."""

    pods: list[str]
    containers: list[str]
    networks: list[str]
    volumes: list[str]
    images: list[str]
    reclaimed: int


def prune(settings: Settings, all_images: bool, with_volumes: bool,
          filters: list[str]) -> PruneReport:  # fmt: skip
    """`system prune` (the CLI's and the service's): stopped containers, their pods, unused
    networks (and volumes), dangling (or all unused) images, in Podman's order; `filters`
    KEY=VALUE as `--filter` (not for pods, as Podman's)."""
    from supervisor.api import containers, group_filters, images, networks, pods, volumes

    containers.prune_filter(filters)  # a bad filter fails before anything goes
    by_key = group_filters(filters)

    def used() -> int:
        return sum(usage.size for usage in images.disk_usage(settings))

    before = used()
    gone_pods = pods.prune(settings)
    gone_ctrs = containers.prune(settings, filters)
    gone_nets = networks.prune(settings, by_key)
    gone_vols = volumes.prune(settings, by_key) if with_volumes else []
    gone_imgs = images.prune(settings, all_images, filters)
    return PruneReport(gone_pods, gone_ctrs, gone_nets, gone_vols, gone_imgs,
                       max(0, before - used()))  # fmt: skip
