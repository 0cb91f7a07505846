"""run/create's process and namespace flags, with Podman 4.3's semantics and messages:
`--init`, `--sysctl`, `--pid/--ipc/--uts/--cgroupns`, `--shm-size`, `--group-add`,
`--oom-score-adj`, `--oom-kill-disable`, `--annotation`, `--env-host`, `--tz`, `--timeout`,
`--rmi`.

    RunFlagOptions (the CLI's parse) --validate(opts, RunFlagFacts)--> RunFlags (stored)
    RunFlags --apply(spec, ...)--> the OCI config's namespaces, sysctls, mounts, process

`validate` and `apply` are pure; `gather_facts` (the paths that exist, the containers a
`container:` mode names) is the one impure step, run by `create` beforehand. Standard library
only, no import of the model (the model imports this module).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from supervisor.errors import NotFoundError, UsageError
from supervisor.options import RunFlagOptions

INIT_DEST = "/run/podman-init"  # where Podman binds its init (scripts and `ps` show it)
# containers.conf's init_path default first, then Debian's catatonit and tini (static: the
# image may have no libc).
INIT_CANDIDATES = (
    "/usr/libexec/podman/catatonit",
    "/usr/bin/catatonit",
    "/usr/bin/tini-static",
)
ZONEINFO = "/usr/share/zoneinfo"
DEFAULT_UMASK = "0022"  # containers.conf's umask default
# Podman's default /dev/shm: containers.conf's "65536k" read as decimal k (65,536,000 bytes),
# mounted as size=64000k; inspect's HostConfig.ShmSize says 65536000.
DEFAULT_SHM_SIZE = 65_536_000

# The flag's name -> the OCI namespace type (and the /proc/PID/ns/ file name).
NS_TYPES: Mapping[str, str] = {"pid": "pid", "ipc": "ipc", "uts": "uts", "cgroupns": "cgroup"}
_NS_WORDS: Mapping[str, str] = {"pid": "PID", "ipc": "IPC", "uts": "UTS", "cgroupns": "cgroup"}
_MODES: Mapping[str, tuple[str, ...]] = {
    "pid": ("private", "host"),
    "ipc": ("private", "shareable", "host", "none"),
    "uts": ("private", "host"),
    "cgroupns": ("private", "host"),
}

# Podman 4.3's namespaced sysctls (pkg/util ValidateSysctls): these IPC ones, and prefixes.
SYSCTL_NAMES = frozenset(
    {
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    }
)
SYSCTL_PREFIXES = ("net.", "fs.mqueue.")


@dataclass(frozen=True)
class NsMode:
    """One namespace: private (new), host (none of our own), container (another container's,
    by full id), ns (a namespace file); for ipc also shareable and none (no /dev/shm)."""

    mode: str = "private"
    target: str = ""  # the container id or the namespace file

    @property
    def joins(self) -> bool:
        return self.mode in ("container", "ns")

    def text(self) -> str:
        return f"{self.mode}:{self.target}" if self.target else self.mode


@dataclass(frozen=True)
class RunFlags:
    """What the flags decided (stored in the container's config)."""

    init: bool = False
    init_path: str = ""
    sysctls: Mapping[str, str] = field(default_factory=dict)
    pid: NsMode = NsMode()
    ipc: NsMode = NsMode()
    uts: NsMode = NsMode()
    cgroupns: NsMode = NsMode("host")  # what runc does without a cgroup namespace entry
    shm_size: int = DEFAULT_SHM_SIZE
    group_add: tuple[str, ...] = ()
    keep_groups: bool = False
    oom_score_adj: int | None = None
    oom_kill_disable: bool = False
    annotations: Mapping[str, str] = field(default_factory=dict)
    host_env: tuple[str, ...] = ()  # --env-host: the caller's environment at create
    tz: str = ""  # "", "local" or a zone name
    timeout: int = 0
    rmi: bool = False
    # issue 19 (helper s26-runflags)
    umask: str = DEFAULT_UMASK  # as inspect shows it; "" : --umask '' (the runtime's 0022)
    env_merge: tuple[str, ...] = ()  # applied at start to the image's env (envflags)
    unsetenv: tuple[str, ...] = ()
    unsetenv_all: bool = False
    pidfile: str = ""  # the container's pid is written there too, at each start
    conmon_pidfile: str = ""  # and the monitor's
    # --ipc=private given: Podman's non-shareable IPC, which no other container may join (the
    # default is shareable; both are a new namespace)
    ipc_private: bool = False


@dataclass(frozen=True)
class RunFlagFacts:
    """What validation needs from the host: files that exist, containers by reference."""

    existing: frozenset[str] = frozenset()
    containers: Mapping[str, str] = field(default_factory=dict)  # name or id -> full id
    environ: Mapping[str, str] = field(default_factory=dict)
    private_ipc: frozenset[str] = frozenset()  # ids of those made with --ipc=private


# the impure part ----------------------------------------------------------------------------


def paths_named(opts: RunFlagOptions) -> list[str]:
    """Every host path the options name (their existence is a fact for validation)."""
    out = [*INIT_CANDIDATES, opts.init_path or ""]
    for value in (opts.pid, opts.ipc, opts.uts, opts.cgroupns):
        if value and value.startswith("ns:"):
            out.append(value[3:])
    if opts.tz and opts.tz != "local":
        out.append(os.path.join(ZONEINFO, opts.tz))
    return [p for p in out if p]


def container_refs(opts: RunFlagOptions) -> list[str]:
    return [
        v[len("container:"):]
        for v in (opts.pid, opts.ipc, opts.uts, opts.cgroupns)
        if v and v.startswith("container:")
    ]


def gather_facts(
    opts: RunFlagOptions, find: Callable[[str], str], environ: Mapping[str, str],
    ipc_private: Callable[[str], bool] | None = None,
) -> RunFlagFacts:
    """`find(ref)` gives a container's full id or raises NotFoundError; `ipc_private(id)`
    whether that container was made with --ipc=private."""
    containers = {}
    for ref in container_refs(opts):
        with contextlib.suppress(NotFoundError):
            containers[ref] = find(ref)
    existing = frozenset(p for p in paths_named(opts) if os.path.exists(p))
    private = frozenset(cid for cid in containers.values()
                        if ipc_private is not None and ipc_private(cid))
    return RunFlagFacts(existing, containers, dict(environ) if opts.env_host else {},
                        private_ipc=private)


# validation ------------------------------------------------------------------------------


def validate(opts: RunFlagOptions, facts: RunFlagFacts, network_host: bool) -> RunFlags:
    namespaces = {kind: parse_ns(kind, getattr(opts, kind), facts) for kind in NS_TYPES}
    init_path = ""
    if opts.init:
        if namespaces["pid"].mode != "private":
            raise UsageError("cannot add init binary as PID 1 (PID namespace isn't private)")
        init_path = _init_path(opts.init_path, facts)
    keep = "keep-groups" in opts.group_add
    if keep and len(opts.group_add) > 1:
        raise UsageError(
            "the '--group-add keep-groups' option is not allowed with any other --group-add"
            " options"
        )
    if opts.oom_score_adj is not None and not -1000 <= opts.oom_score_adj <= 1000:
        raise UsageError(f"invalid --oom-score-adj {opts.oom_score_adj}: must be between"
                         " -1000 and 1000")
    if opts.timeout < 0:
        raise UsageError(f"invalid argument \"{opts.timeout}\" for \"--timeout\" flag:"
                         " must not be negative")
    return RunFlags(
        init=opts.init,
        init_path=init_path,
        sysctls=sysctls(opts.sysctls, opts.default_sysctls, network_host, namespaces["ipc"]),
        pid=namespaces["pid"],
        ipc=namespaces["ipc"],
        uts=namespaces["uts"],
        cgroupns=namespaces["cgroupns"],
        shm_size=DEFAULT_SHM_SIZE if opts.shm_size is None else shm_size(opts.shm_size),
        group_add=() if keep else tuple(opts.group_add),
        keep_groups=keep,
        oom_score_adj=opts.oom_score_adj,
        oom_kill_disable=opts.oom_kill_disable,
        annotations=parse_annotations(opts.annotations),
        host_env=tuple(f"{k}={v}" for k, v in facts.environ.items()) if opts.env_host else (),
        tz=_tz(opts.tz, facts),
        timeout=opts.timeout,
        rmi=opts.rmi,
        ipc_private=opts.ipc == "private",
        **_process_env(opts),
    )


def _process_env(opts: RunFlagOptions) -> dict[str, Any]:
    """issue 19: --umask, the default environment's flags, the pid files."""
    from supervisor.envflags import check_env_merge

    check_env_merge(opts.env_merge)
    return {
        "umask": DEFAULT_UMASK if opts.umask is None else parse_umask(opts.umask),
        "env_merge": tuple(opts.env_merge),
        "unsetenv": tuple(opts.unsetenv),
        "unsetenv_all": opts.unsetenv_all,
        "pidfile": opts.pidfile,
        "conmon_pidfile": opts.conmon_pidfile,
    }


def parse_umask(value: str) -> str:
    """Podman's check (1 to 4 octal digits), its text, and the form inspect shows: "77" is
    "0077"; "" leaves it to the runtime (inspect "0000", the process 0022)."""
    if value == "":
        return ""
    if not 1 <= len(value) <= 4 or value.strip("01234567"):
        raise UsageError(f"running container create option: invalid umask string {value}:"
                         " invalid argument")
    return f"{int(value, 8):04o}"


def parse_ns(kind: str, value: str | None, facts: RunFlagFacts) -> NsMode:
    if not value:
        return NsMode("host") if kind == "cgroupns" else NsMode()
    mode, colon, target = value.partition(":")
    if mode == "container" and colon and target:
        cid = facts.containers.get(target)
        if cid is None:
            word = NS_TYPES[kind]
            err = NotFoundError("container", target)
            raise UsageError(f"looking up container to share {word} namespace with: {err}")
        if kind == "ipc" and cid in facts.private_ipc:
            raise UsageError(f"joining IPC of container {cid} is not allowed: non-shareable IPC"
                             " (hint: use IpcMode:shareable for the donor container)")
        return NsMode("container", cid)
    if mode == "ns" and colon and target:
        if target not in facts.existing:
            raise UsageError(f"cannot find specified {_NS_WORDS[kind]} namespace path: stat"
                             f" {target}: no such file or directory")
        return NsMode("ns", target)
    if colon or mode not in _MODES[kind]:
        raise UsageError(f"unrecognized namespace mode {value} passed")
    return NsMode(mode)


def sysctls(
    items: list[str], defaults: list[str], network_host: bool, ipc: NsMode
) -> dict[str, str]:
    """containers.conf's default_sysctls under the flags; the defaults a shared namespace
    cannot take are left out (as Podman does), the user's are errors."""
    out: dict[str, str] = {}
    for key, value in parse_sysctls(defaults).items():
        if not (network_host and key.startswith("net.")) and not (
            ipc.mode == "host" and key in SYSCTL_NAMES
        ):
            out[key] = value
    for key, value in parse_sysctls(items).items():
        if network_host and key.startswith("net."):
            raise UsageError(f"sysctl {key}={value} can't be set since Network Namespace set"
                             " to host: invalid argument")
        out[key] = value
    return out


def parse_sysctls(items: list[str]) -> dict[str, str]:
    """Podman's check: KEY=VALUE, no padding, a namespaced key."""
    out: dict[str, str] = {}
    for item in items:
        parts = item.split("=")
        if len(parts) < 2:
            raise UsageError(f"{item} is invalid, sysctl values must be in the form of KEY=VALUE")
        key, value = parts[0], parts[1]
        if f"{key.strip()}={value.strip()}" != item:
            raise UsageError(f"'{item}' is invalid, extra spaces found")
        if key not in SYSCTL_NAMES and not key.startswith(SYSCTL_PREFIXES):
            raise UsageError(f"sysctl '{key}' is not allowed")
        out[key] = value
    return out


_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def shm_size(value: str) -> int:
    """`--shm-size`: bytes, or a number with b, k, m, g (binary units, as Podman's)."""
    text = value.strip().lower()
    for suffix in ("kb", "mb", "gb"):
        if text.endswith(suffix):
            text = text[:-1]
    number, unit = (text[:-1], text[-1]) if text[-1:] in "bkmg" else (text, "")
    try:
        size = float(number)
    except ValueError:
        size = -1.0
    if not number or size < 0 or unit not in _UNITS:
        raise UsageError(f"unable to translate --shm-size: invalid size: '{value}'")
    return int(size * _UNITS[unit])


def parse_annotations(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise UsageError("annotations must be formatted KEY=VALUE")
        out[key] = value
    return out


def _init_path(path: str | None, facts: RunFlagFacts) -> str:
    if path:
        if path not in facts.existing:
            raise UsageError(f"container-init binary not found on the host: stat {path}: no"
                             " such file or directory")
        return path
    for candidate in INIT_CANDIDATES:
        if candidate in facts.existing:
            return candidate
    raise UsageError(f"container-init binary not found on the host: stat {INIT_CANDIDATES[0]}:"
                     " no such file or directory (install catatonit, or give --init-path)")


def _tz(tz: str | None, facts: RunFlagFacts) -> str:
    if not tz:
        return ""
    if tz == "local":
        return tz
    path = os.path.join(ZONEINFO, tz)
    if ".." in tz.split("/") or tz.startswith("/") or path not in facts.existing:
        raise UsageError(f"running container create option: stat {path}: no such file or"
                         " directory")
    return tz


# the runtime config ---------------------------------------------------------------------------


def apply(spec: dict[str, Any], flags: RunFlags, ns_path: Callable[[NsMode, str], str]) -> None:
    """These flags into an OCI config built with Podman's defaults (pure, except that
    `ns_path(mode, oci_type)` finds another container's namespace file: it raises when
    that container does not run)."""
    linux = spec["linux"]
    namespaces = [n for n in linux["namespaces"] if n["type"] not in NS_TYPES.values()]
    for kind, oci_type in NS_TYPES.items():
        mode: NsMode = getattr(flags, kind)
        if mode.mode == "host":
            continue
        entry = {"type": oci_type}
        if mode.mode == "ns":
            entry["path"] = mode.target
        elif mode.mode == "container":
            entry["path"] = ns_path(mode, oci_type)
        namespaces.append(entry)
    linux["namespaces"] = namespaces
    if flags.uts.mode != "private":
        spec.pop("hostname", None)  # the host's or the other container's own name
    if flags.sysctls:
        linux["sysctl"] = dict(flags.sysctls)
    if flags.oom_kill_disable:
        linux.setdefault("resources", {}).setdefault("memory", {})["disableOOMKiller"] = True
    if flags.oom_score_adj is not None:
        spec["process"]["oomScoreAdj"] = flags.oom_score_adj
    annotations = spec.setdefault("annotations", {})
    annotations.update(flags.annotations)
    if flags.keep_groups:
        annotations["run.oci.keep_original_groups"] = "1"  # crun's; runc has no such thing
    if not annotations:
        del spec["annotations"]
    spec["mounts"] = _mounts(spec["mounts"], flags)
    if flags.init:
        spec["process"]["args"] = [INIT_DEST, "--", *spec["process"]["args"]]
    spec["process"]["user"]["umask"] = int(flags.umask or DEFAULT_UMASK, 8)  # issue 19


def _mounts(mounts: list[dict[str, Any]], flags: RunFlags) -> list[dict[str, Any]]:
    out = []
    for m in mounts:
        if m["destination"] == "/dev/shm" and m["type"] == "tmpfs" and m["source"] == "shm":
            shm = _shm_mount(m, flags)
            if shm is not None:
                out.append(shm)
            continue
        out.append(m)
    if flags.init:
        out.append(_bind(INIT_DEST, flags.init_path))
    if flags.tz:
        local = "/etc/localtime" if flags.tz == "local" else os.path.join(ZONEINFO, flags.tz)
        out.append(_bind("/etc/localtime", local))
    return out


def _shm_mount(default: dict[str, Any], flags: RunFlags) -> dict[str, Any] | None:
    ipc = flags.ipc
    if ipc.mode == "none":
        return None
    if ipc.mode == "host":
        return {"destination": "/dev/shm", "type": "bind", "source": "/dev/shm",
                "options": ["rbind", "nosuid", "noexec", "nodev"]}
    # ipc container:/ns: SysV IPC and message queues are shared; /dev/shm stays the
    # container's own tmpfs (the other one lives in another mount namespace, which the
    # kernel does not bind from): docs/DIFFERENCES.md, ipc-container-shm.
    options = [o for o in default["options"] if not o.startswith("size=")]
    return dict(default, options=[*options, f"size={flags.shm_size // 1024}k"])


def _bind(dest: str, source: str) -> dict[str, Any]:
    return {"destination": dest, "type": "bind", "source": source,
            "options": ["bind", "ro", "nosuid", "nodev", "rprivate"]}


# inspect ------------------------------------------------------------------------------------


def host_config(flags: RunFlags) -> dict[str, Any]:
    """Podman 4.3's HostConfig keys for these flags."""
    ipc = flags.ipc.text()
    return {
        "ShmSize": flags.shm_size if flags.ipc.mode not in ("host", "none") else 0,
        # Docker's key; Podman 4.3 leaves it out (a script gets <no value> there).
        **({"Sysctls": dict(flags.sysctls)} if flags.sysctls else {}),
        "OomScoreAdj": flags.oom_score_adj or 0,
        "OomKillDisable": flags.oom_kill_disable,
        "Init": flags.init,
        "PidMode": flags.pid.text(),
        "IpcMode": "shareable" if ipc == "private" else ipc,  # Podman 4.3's, --ipc=private too
        "UTSMode": flags.uts.text(),
        "CgroupMode": flags.cgroupns.text(),
        "GroupAdd": ["keep-groups"] if flags.keep_groups else list(flags.group_add),
    }


def config(flags: RunFlags) -> dict[str, Any]:
    """Podman 4.3's Config keys for these flags."""
    return {
        "Annotations": dict(flags.annotations),
        "Timezone": flags.tz,
        "Timeout": flags.timeout,
        "Umask": flags.umask or "0000",  # issue 19: Podman shows --umask '' so
    }
