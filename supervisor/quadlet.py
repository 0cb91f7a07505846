"""Quadlet-compatible unit generator: `.container` files become `.service` units that run
`scopebox run` (Podman's podman-systemd.unit(5) keys that apply to scopebox).

Differences from Podman's Quadlet, on purpose:
- Values of the `[Container]` section are literal: after the file's own quoting is read
  (systemd's rules), every `%`, `$`, quote, newline or blank reaches the container exactly as
  written. Podman lets systemd expand specifiers in them (`ContainerName=%N`); scopebox does not,
  so that no value can change the unit's meaning. `[Unit]`, `[Service]`, `[Install]` and other
  sections are the admin's own unit syntax and pass through unchanged.
- Errors name the file and line (`web.container:7: ...`); a file with an error produces no unit.
- `.kube` files become `NAME.service` oneshots running `kube play --replace` / `kube down`;
  `.pod` files and `Pod=` are in the pods block below. Keys scopebox cannot honour are
  refused, never dropped. `.volume` files become `NAME-volume.service` oneshots running
  `scopebox volume create --ignore`, `.network` files `NAME-network.service` oneshots running
  `scopebox network create --ignore` (Podman's Quadlet does the same).

Standard library and `units.unitfile` only: the systemd generator runs this module under
`python3 -I -S` at boot and on every `daemon-reload` (see `generator_main`).
"""

from __future__ import annotations

import os
import sys

from units import unitfile
from units.unitfile import Section, Specified, UnitFile, UnitSyntaxError

TYPE_CHECKING = False  # not typing's (nor dataclasses): the generator runs at boot
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

SYSTEM_DIRS = (
    "/run/containers/systemd",
    "/etc/containers/systemd",
    "/usr/share/containers/systemd",
)
DIRS_ENV = "SCOPEBOX_QUADLET_UNIT_DIRS"  # colon-separated; replaces the defaults (tests)
EXTENSIONS = (".container", ".volume", ".network", ".pod", ".kube")
UNSUPPORTED_KINDS: dict[str, str] = {}  # every kind of EXTENSIONS is converted now
CIDFILE = "%t/%N.cid"
VOLATILE_TMP = "/tmp:rw,size=512M,mode=1777"

# [Container] keys that map to one `scopebox run` flag per value (the value as written).
RAW_FLAGS = {
    "ContainerName": "--name",
    "Entrypoint": "--entrypoint",
    "HostName": "--hostname",
    "WorkingDir": "--workdir",
    "LogDriver": "--log-driver",
    "StopSignal": "--stop-signal",
    "StopTimeout": "--stop-timeout",
    "PidsLimit": "--pids-limit",
    "Memory": "--memory",
    "HealthCmd": "--health-cmd",
    "HealthInterval": "--health-interval",
    "HealthTimeout": "--health-timeout",
    "HealthRetries": "--health-retries",
    "HealthStartPeriod": "--health-start-period",
    "HealthOnFailure": "--health-on-failure",
}
MULTI_FLAGS = {"Tmpfs": "--tmpfs", "Ulimit": "--ulimit", "LogOpt": "--log-opt"}
# networking (issue 13): Quadlet's network keys, one flag per value
MULTI_FLAGS |= {"PublishPort": "--publish", "ExposeHostPort": "--expose", "DNS": "--dns",
                "DNSSearch": "--dns-search", "DNSOption": "--dns-option",
                "AddHost": "--add-host", "NetworkAlias": "--network-alias"}
RAW_FLAGS |= {"IP": "--ip"}
RAW_FLAGS |= {"IP6": "--ip6"}  # net6
# issues 17/19: the container's user namespace (supervisor/idmaps.py)
RAW_FLAGS |= {"UserNS": "--userns", "SubUIDMap": "--subuidname", "SubGIDMap": "--subgidname"}
MULTI_FLAGS |= {"UIDMap": "--uidmap", "GIDMap": "--gidmap"}
MULTI_FLAGS |= {"Secret": "--secret"}  # secrets (supervisor/secrets)
HANDLED = {"Image", "Rootfs", "Exec", "Environment", "EnvironmentFile", "Volume", "Network"}
HANDLED |= {"User", "Group", "Label", "Notify", "ReadOnly", "VolatileTmp", "PodmanArgs"}
HANDLED |= {"ReadOnlyTmpfs"}  # misc (issue 19): only with ReadOnly=true, as Podman's
HANDLED |= {"ScopeboxArgs", "PublishPort"}
# security (supervisor/security)
HANDLED |= {"AddCapability", "DropCapability", "AddDevice", "Mask", "Unmask", "NoNewPrivileges"}
HANDLED |= {"SeccompProfile", "SecurityLabelDisable"}
HANDLED |= {"ScopeboxArgs", "PublishPort", "Mount"}  # Mount: volumes (issue 14)
HANDLED |= {"Pod"}  # pods (helper podsx)
SUPPORTED = HANDLED | set(RAW_FLAGS) | set(MULTI_FLAGS)
# Quadlet keys scopebox cannot honour (yet): refused with the reason, never silently dropped.
NOT_SUPPORTED = {
    "Annotation": "annotations are not supported",
    "AutoUpdate": "auto-update is not supported",
    "ContainersConfModule": "containers.conf is not read",
    "EnvironmentHost": "--env-host is not supported",
    "RemapGid": "use UserNS=, UIDMap=, GIDMap= (Podman's later keys)",
    "RemapUid": "use UserNS=, UIDMap=, GIDMap= (Podman's later keys)",
    "RemapUidSize": "use UserNS=auto:size=N (Podman's later keys)",
    "RemapUsers": "use UserNS= (Podman's later keys)",
    "GlobalArgs": "use [Service] Environment=SCOPEBOX_ROOT=... instead",
    "HealthStartupCmd": "startup healthchecks are not supported",
    "HealthStartupInterval": "startup healthchecks are not supported",
    "HealthStartupRetries": "startup healthchecks are not supported",
    "HealthStartupSuccess": "startup healthchecks are not supported",
    "HealthStartupTimeout": "startup healthchecks are not supported",
    "SecurityLabelFileType": "SELinux labels are not supported",
    "SecurityLabelLevel": "SELinux labels are not supported",
    "SecurityLabelNested": "SELinux labels are not supported",
    "SecurityLabelType": "SELinux labels are not supported",
    "Pull": "pulling is not supported by run",
    "RunInit": "--init is not supported",
    "ShmSize": "--shm-size is not supported",
    "Sysctl": "sysctls are not supported",
    "Timezone": "--tz is not supported",
}


def _security_flags(r: _Reader) -> list[str]:
    """AddCapability=, DropCapability= (space-separated), AddDevice=, NoNewPrivileges=,
    SeccompProfile=, SecurityLabelDisable=, Mask=, Unmask= (supervisor/security)."""
    flags: list[str] = []
    for key, flag in (("AddCapability", "--cap-add"), ("DropCapability", "--cap-drop")):
        flags += [f"{flag}={cap}" for e in r.all(key) for cap in e.value.split()]
    flags += [f"--device={e.value}" for e in r.all("AddDevice")]
    if r.boolean("NoNewPrivileges"):
        flags.append("--security-opt=no-new-privileges")
    if (e := r.last("SeccompProfile")) is not None:
        flags.append(f"--security-opt=seccomp={e.value}")
    if r.boolean("SecurityLabelDisable"):
        flags.append("--security-opt=label=disable")
    for key, opt in (("Mask", "mask"), ("Unmask", "unmask")):
        flags += [f"--security-opt={opt}={e.value}" for e in r.all(key)]
    return flags


class Problem:
    __slots__ = ("line", "message", "path")

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


class QuadletError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


class Service:
    """A generated unit: its file name (web.service), content, source file and the links that
    enable it (e.g. multi-user.target.wants/web.service)."""

    __slots__ = ("links", "name", "source", "unit")

    def __init__(self, name: str, unit: UnitFile, source: str, links: list[str]) -> None:
        self.name, self.unit, self.source, self.links = name, unit, source, links


def unit_dirs(user: bool, environ: dict[str, str]) -> list[str]:
    if environ.get(DIRS_ENV):
        return [d for d in environ[DIRS_ENV].split(":") if d]
    if not user:
        return list(SYSTEM_DIRS)
    home = environ.get("HOME") or os.path.expanduser("~")
    config = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    dirs = [os.path.join(config, "containers/systemd")]
    if environ.get("XDG_RUNTIME_DIR"):
        dirs.insert(0, os.path.join(environ["XDG_RUNTIME_DIR"], "containers/systemd"))
    return dirs


def find_sources(dirs: Iterable[str], log: Callable[[str], None] = print) -> list[str]:
    """Quadlet files by name, the first directory that has a name wins (earlier dirs override
    later ones, as /run over /etc over /usr/share)."""
    seen: dict[str, str] = {}
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            log(f"{d}: cannot read: {exc.strerror}")
            continue
        for n in names:
            if n.endswith(EXTENSIONS) and not n.startswith(".") and n not in seen:
                seen[n] = os.path.join(d, n)
    return [seen[n] for n in sorted(seen)]


class _Reader:
    """The [Container] section of one file, with errors collected by line."""

    def __init__(self, path: str, section: Section) -> None:
        self.path = path
        self.section = section
        self.problems: list[Problem] = []

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def all(self, key: str) -> list[unitfile.Entry]:
        """Every value of a list key; an empty assignment resets the list (systemd's rule)."""
        found: list[unitfile.Entry] = []
        for e in self.section.entries:
            if e.key == key:
                found = [*found, e] if e.value else []
        return found

    def last(self, key: str) -> unitfile.Entry | None:
        found = self.all(key)
        return found[-1] if found else None

    def words(self, entry: unitfile.Entry) -> list[str]:
        try:
            return unitfile.split_words(entry.value)
        except UnitSyntaxError as exc:
            self.fail(entry.line, f"{entry.key}: {exc}")
            return []

    def boolean(self, key: str) -> bool | None:
        e = self.last(key)
        if e is None:
            return None
        v = e.value.lower()
        if v in ("1", "yes", "true", "on"):
            return True
        if v in ("0", "no", "false", "off"):
            return False
        self.fail(e.line, f"{key}: not a boolean: {e.value!r}")
        return None

    def key_values(self, key: str) -> list[str]:
        out = []
        for e in self.all(key):
            for w in self.words(e):
                if "=" not in w or w.startswith("="):
                    self.fail(e.line, f"{key}: expected KEY=VALUE, got {w!r}")
                else:
                    out.append(w)
        return out


def convert_container(path: str, unit: UnitFile, binary: list[str]) -> Service:
    """One parsed `.container` file -> its service (raises QuadletError listing every problem)."""
    r, base = _section_reader(path, unit, "Container", SUPPORTED, NOT_SUPPORTED)
    name = base + ".service"
    service = UnitFile(comments=[f"Automatically generated by scopebox-quadlet from {path}"])
    service.ensure("Unit")
    for s in unit.sections:
        copy = service.ensure("X-Container" if s.name == "Container" else s.name)
        copy.entries += [unitfile.Entry(e.key, e.value) for e in s.entries]
    svc = service.ensure("Service")
    _check_service(r, unit, svc)
    oneshot = svc.last("Type") == "oneshot"
    flags = _run_flags(r, service.ensure("Unit"), oneshot)
    image = _image(r)
    exec_entry = r.last("Exec")
    exec_args = r.words(exec_entry) if exec_entry is not None else []
    if r.problems:
        raise QuadletError(sorted(r.problems, key=lambda p: p.line))
    try:
        u = service.ensure("Unit")
        u.add("SourcePath", unitfile.plain_value(path))
        u.add("RequiresMountsFor", "%t/scopebox")
        run = [*binary, "run", *flags, *image, *exec_args]
        rm = [*binary, "rm", "-f", "-i", Specified("--cidfile=" + CIDFILE)]
        svc.add("Environment", "PODMAN_SYSTEMD_UNIT=%n")
        svc.add("ExecStart", unitfile.exec_value(run))
        svc.add("ExecStop", unitfile.exec_value(rm))
        svc.add("ExecStopPost", unitfile.exec_value(rm, "-"))
        svc.add("ExecStopPost", unitfile.exec_value(["/bin/rm", "-f", Specified(CIDFILE)], "-"))
    except UnitSyntaxError as exc:
        raise QuadletError([Problem(path, exc.line, str(exc))]) from exc
    return Service(name, service, path, _links(unit, name))


def _check_service(r: _Reader, source: UnitFile, svc: Section) -> None:
    own = source.section("Service")
    kill_mode = own.last("KillMode") if own else None
    if kill_mode not in (None, "mixed", "control-group"):
        r.fail(_line(own, "KillMode"), f"KillMode={kill_mode} (only mixed or control-group work)")
    if kill_mode is None:
        svc.add("KillMode", "mixed")
    for e in own.entries if own else []:
        if e.key == "ExecStart":
            r.fail(e.line, "ExecStart= in [Service]: the container is the service's command")
    svc_type = own.last("Type") if own else None
    if svc_type not in (None, "notify", "oneshot"):
        r.fail(_line(own, "Type"), f"Type={svc_type} (only notify or oneshot work)")
    if svc_type is None:
        svc.add("Type", "notify")
    if svc_type != "oneshot":
        svc.add("NotifyAccess", "all")
    svc.add("Delegate", "yes")
    if own is None or own.last("SyslogIdentifier") is None:
        svc.add("SyslogIdentifier", "%N")


def _line(sec: Section | None, key: str) -> int:
    found = [e.line for e in sec.entries if e.key == key] if sec else []
    return found[-1] if found else 0


def _image(r: _Reader) -> list[str]:
    image, rootfs = r.last("Image"), r.last("Rootfs")
    if image and rootfs:
        r.fail(rootfs.line, "Image= and Rootfs= cannot both be set")
    if rootfs:
        return ["--rootfs", rootfs.value]
    if image is None or not image.value:
        r.fail(0, "no Image= (or Rootfs=) in [Container]")
        return []
    if image.value.endswith((".image", ".build")):
        r.fail(image.line, f"Image={image.value}: .image and .build units are not supported")
    return [image.value]


def _run_flags(r: _Reader, unit_sec: Section, oneshot: bool) -> list[str]:
    name = r.last("ContainerName")
    flags: list[str] = [] if name else [Specified("--name=systemd-%N")]
    flags += [Specified("--cidfile=" + CIDFILE), "--replace", "--rm", "--cgroups=split"]
    if not oneshot:
        notify = r.last("Notify")
        if notify is not None and notify.value == "healthy":
            mode = "healthy"
        else:
            mode = "container" if r.boolean("Notify") else "conmon"
        flags += [f"--sdnotify={mode}", "-d"]
    for key, flag in RAW_FLAGS.items():
        if (e := r.last(key)) is not None:
            flags.append(f"{flag}={e.value}")
    for key, flag in MULTI_FLAGS.items():
        flags += [f"{flag}={e.value}" for e in r.all(key)]
    read_only_tmpfs = r.boolean("ReadOnlyTmpfs")  # misc (issue 19)
    if r.boolean("ReadOnly"):
        flags.append("--read-only")
        if read_only_tmpfs is not None:
            flags.append(f"--read-only-tmpfs={str(read_only_tmpfs).lower()}")
    flags += _security_flags(r)
    if r.boolean("VolatileTmp"):
        flags.append(f"--tmpfs={VOLATILE_TMP}")
    user, group = r.last("User"), r.last("Group")
    if user or group:
        flags.append(f"--user={user.value if user else '0'}" + (f":{group.value}" if group else ""))
    flags += [f"--env={kv}" for kv in r.key_values("Environment")]
    flags += [f"--label={kv}" for kv in r.key_values("Label")]
    flags += _env_files(r)
    flags += _volumes(r, unit_sec)
    for e in r.all("Network"):
        # networking (issue 13): NAME.network units, as Volume=NAME.volume
        source, colon, rest = e.value.partition(":")
        if source.endswith(".network"):
            net = network_unit_name(r, e, source)
            if net:
                service = source[: -len(".network")] + "-network.service"
                unit_sec.add("Requires", service)
                unit_sec.add("After", service)
                flags.append(f"--network={net}{colon}{rest}")
            continue
        # end networking
        flags.append(f"--network={e.value}")
    flags += [f"--mount={e.value}" for e in r.all("Mount")]  # volumes (issue 14)
    flags += container_pod_flags(r, unit_sec)  # pods (helper podsx)
    for key in ("PodmanArgs", "ScopeboxArgs"):
        for e in r.all(key):
            flags += r.words(e)
    return flags


def _env_files(r: _Reader) -> list[str]:
    out = []
    for e in r.all("EnvironmentFile"):
        for w in r.words(e):
            out.append("--env-file=" + os.path.join(os.path.dirname(r.path), w))
    return out


def _volumes(r: _Reader, unit_sec: Section) -> list[str]:
    out = []
    for e in r.all("Volume"):
        source, _, rest = e.value.partition(":")
        # volumes (issue 14): NAME.volume units, named and anonymous volumes
        if source.endswith(".volume") and rest:
            name = volume_unit_name(r, e, source)
            if name:
                service = source[: -len(".volume")] + "-volume.service"
                unit_sec.add("Requires", service)
                unit_sec.add("After", service)
                out.append(f"--volume={name}:{rest}")
            continue
        named = bool(rest) and not source.startswith("/") and _VOLUME_NAME.fullmatch(source)
        if named or (source.startswith("/") and not rest):  # NAME:/d, or /d (anonymous)
            out.append(f"--volume={e.value}")
            continue
        if not rest or not source.startswith("/"):
            r.fail(e.line, f"Volume={e.value}: expected /host/path:/ctr/path,"
                   " NAME:/ctr/path, NAME.volume:/ctr/path or /ctr/path")
            continue
        # end volumes
        # only paths systemd reads back as written: RequiresMountsFor= does no C unescaping
        plain = source.replace("%", "%%")
        if "\0" not in source and unitfile.quote_word(source, expand_dollar=False) == plain:
            unit_sec.add("RequiresMountsFor", plain)
        out.append(f"--volume={e.value}")
    return out


def _links(unit: UnitFile, service: str) -> list[str]:
    """[Install] as `systemctl enable` would do it (generated units cannot be enabled)."""
    inst = unit.section("Install")
    if inst is None:
        return []
    links = []
    for key, suffix in (("WantedBy", "wants"), ("RequiredBy", "requires")):
        for value in inst.values(key):
            links += [f"{t}.{suffix}/{service}" for t in value.split() if "/" not in t]
    return links


# kube (issue 15): `.kube` files -------------------------------------------------------------

KUBE_KEYS = {"Yaml", "ConfigMap", "LogDriver", "Network", "PodmanArgs", "ScopeboxArgs"}
KUBE_NOT_SUPPORTED = {
    "GlobalArgs": "use [Service] Environment=SCOPEBOX_ROOT=... instead",
    "ContainersConfModule": "containers.conf modules are not read",
    "PublishPort": "publish ports with hostPort in the YAML",
    "UserNS": "user namespaces are not supported yet",
    "AutoUpdate": "auto-update is not supported",
}


def _kube_path(r: _Reader, e: unitfile.Entry, path: str) -> str:
    """Yaml= and ConfigMap=: a path, relative ones to the .kube file's directory."""
    value = e.value
    if not value or "\n" in value or "\0" in value:
        r.fail(e.line, f"{e.key}= needs a file path")
    return value if os.path.isabs(value) else os.path.join(os.path.dirname(path), value)


def convert_kube(path: str, unit: UnitFile, binary: list[str]) -> Service:
    """One `NAME.kube` file -> `NAME.service`: a oneshot that stays active, running
    `kube play --replace` of the YAML at start and `kube down` of it at stop."""
    r, base = _section_reader(path, unit, "Kube", KUBE_KEYS, KUBE_NOT_SUPPORTED)
    yaml_entry = r.last("Yaml")
    if yaml_entry is None:
        r.fail(0, "no Yaml= in [Kube]")
        yaml = ""
    else:
        yaml = _kube_path(r, yaml_entry, path)
    args = ["kube", "play", "--replace"]
    args += [f"--configmap={_kube_path(r, e, path)}" for e in r.all("ConfigMap")]
    for key, flag in (("Network", "--network"), ("LogDriver", "--log-driver")):
        entry = r.last(key)
        if entry is not None:
            args.append(f"{flag}={entry.value}")
    return _oneshot(r, unit, path, "Kube", [*binary, *args, yaml], base + ".service",
                    stop=[*binary, "kube", "down", yaml])


# end kube


# volumes (issue 14): `.volume` files ------------------------------------------------------

_VOLUME_NAME_RE = "[a-zA-Z0-9][a-zA-Z0-9_.-]*"  # Podman's rule (supervisor.volumes.mounts)


class _NameRule:
    """A tiny fullmatch without importing `re` at boot for files that never need it."""

    def fullmatch(self, name: str) -> bool:
        import re

        return re.fullmatch(_VOLUME_NAME_RE, name) is not None


_VOLUME_NAME = _NameRule()
VOLUME_KEYS = {"VolumeName", "Driver", "Label", "Device", "Type", "Options", "Copy", "User",
               "Group", "PodmanArgs", "ScopeboxArgs"}
VOLUME_NOT_SUPPORTED = {
    "Image": "image volumes are not supported",
    "GlobalArgs": "use [Service] Environment=SCOPEBOX_ROOT=... instead",
    "ContainersConfModule": "containers.conf is not read",
}


def _made_name(path: str, kind: str) -> str:
    """The object a `.volume` or `.network` file makes (kind "Volume", "Network"): its
    VolumeName= or NetworkName=, else systemd-<file's base>."""
    default = "systemd-" + os.path.basename(path)[: -len(kind) - 1]
    try:
        with open(path, encoding="utf-8") as f:
            sec = unitfile.parse(f.read()).section(kind)
    except (OSError, UnicodeDecodeError, UnitSyntaxError):
        return default
    name = sec.last(kind + "Name") if sec is not None else None
    return name or default


def _volume_name_of(path: str) -> str:
    return _made_name(path, "Volume")


def volume_unit_name(r: _Reader, e: unitfile.Entry, source: str) -> str:
    """`Volume=data.volume:/d` in a .container: the volume data.volume (beside it) makes."""
    name = _volume_name_of(os.path.join(os.path.dirname(r.path), source))
    if "/" in source or not _VOLUME_NAME.fullmatch(name):
        r.fail(e.line, f"Volume={e.value}: invalid volume name {name!r}"
               f" (names must match {_VOLUME_NAME_RE})")
        return ""
    return name


def convert_volume(path: str, unit: UnitFile, binary: list[str]) -> Service:
    """One `.volume` file -> `NAME-volume.service`, a oneshot running `volume create --ignore`."""
    r, base, name = _object_file(path, unit, "Volume", VOLUME_KEYS, VOLUME_NOT_SUPPORTED,
                                 _VOLUME_NAME.fullmatch)
    args = ["volume", "create", "--ignore"]
    driver = r.last("Driver")
    if driver is not None and driver.value != "local":
        r.fail(driver.line, f"Driver={driver.value}: only the local driver exists")
    args += [f"--label={kv}" for kv in r.key_values("Label")]
    for key, opt in (("Type", "type"), ("Device", "device"), ("Options", "o"),
                     ("User", "uid"), ("Group", "gid")):
        if (found := r.last(key)) is not None:
            if key in ("User", "Group") and not found.value.isdigit():
                r.fail(found.line, f"{key}={found.value}: a numeric id")
            args.append(f"--opt={opt}={found.value}")
    copy = r.boolean("Copy")
    if copy is False:
        args.append("--opt=nocopy")
    return _oneshot(r, unit, path, "Volume", [*binary, *args, name], f"{base}-volume.service")


# end volumes


# networking (issue 13): `.network` files ---------------------------------------------------

_NETWORK_NAME_MAX = 200  # supervisor.network.ipam.NAME_MAX (its rule is the volumes' rule)
NETWORK_KEYS = {"NetworkName", "Driver", "Subnet", "Gateway", "IPRange", "Internal",
                "DisableDNS", "IPv6", "IPAMDriver", "Label", "Options", "PodmanArgs",
                "ScopeboxArgs"}
NETWORK_NOT_SUPPORTED = {
    "GlobalArgs": "use [Service] Environment=SCOPEBOX_ROOT=... instead",
    "ContainersConfModule": "containers.conf is not read",
    "DNS": "a network's own DNS servers are not supported (use DNS= in the .container)",
}


def _network_name_ok(name: str) -> bool:
    return _VOLUME_NAME.fullmatch(name) and len(name) <= _NETWORK_NAME_MAX


def _network_name_of(path: str) -> str:
    return _made_name(path, "Network")


def network_unit_name(r: _Reader, e: unitfile.Entry, source: str) -> str:
    """`Network=back.network` in a .container: the network back.network (beside it) makes."""
    name = _network_name_of(os.path.join(os.path.dirname(r.path), source))
    if "/" in source or not _network_name_ok(name):
        r.fail(e.line, f"Network={e.value}: invalid network name {name!r}"
               f" (names must match {_VOLUME_NAME_RE})")
        return ""
    return name


def convert_network(path: str, unit: UnitFile, binary: list[str]) -> Service:
    """One `.network` file -> `NAME-network.service`, a oneshot running `network create
    --ignore` (Podman's Quadlet does the same)."""
    r, base, name = _object_file(path, unit, "Network", NETWORK_KEYS, NETWORK_NOT_SUPPORTED,
                                 _network_name_ok)
    args = ["network", "create", "--ignore"]
    driver = r.last("Driver")
    if driver is not None and driver.value != "bridge":
        r.fail(driver.line, f"Driver={driver.value}: only the bridge driver exists")
    ipam_driver = r.last("IPAMDriver")
    if ipam_driver is not None and ipam_driver.value != "host-local":
        r.fail(ipam_driver.line, f"IPAMDriver={ipam_driver.value}: only host-local exists")
    for key, flag in (("Subnet", "--subnet"), ("Gateway", "--gateway"),
                      ("IPRange", "--ip-range")):
        args += [f"{flag}={e.value}" for e in r.all(key)]
    for key, flag in (("Internal", "--internal"), ("DisableDNS", "--disable-dns"),
                      ("IPv6", "--ipv6")):
        if r.boolean(key):
            args.append(flag)
    args += [f"--label={kv}" for kv in r.key_values("Label")]
    for e in r.all("Options"):
        if "=" not in e.value:
            r.fail(e.line, f"Options={e.value}: expected KEY=VALUE (mtu=N, isolate=B)")
        args.append(f"--opt={e.value}")
    return _oneshot(r, unit, path, "Network", [*binary, *args, name],
                    f"{base}-network.service")


# end networking


# pods (helper podsx): `.pod` files and `Pod=` in a `.container` (Podman's Quadlet,
# podman-systemd.unit(5) [Pod]). `web.pod` becomes `web-pod.service`, which makes a fresh pod
# at each start (`pod create --infra-conmon-pidfile %t/%N.pid --pod-id-file %t/%N.pod-id
# --exit-policy=stop --replace`), follows its infra's monitor (`Type=forking`, `PIDFile=`) and
# removes the pod at stop. A `.container` with `Pod=web.pod` runs with
# `--pod-id-file=%t/web-pod.pod-id`, `BindsTo=` and `After=` the pod's service, and the pod's
# service `Wants=` and is `Before=` its containers (see docs/PODS.md).

POD_KEYS = {"PodName", "Network", "PublishPort", "AddHost", "DNS", "PodmanArgs",
            "ScopeboxArgs"}
POD_NOT_SUPPORTED = {
    "ContainersConfModule": "containers.conf is not read",
    "GlobalArgs": "use [Service] Environment=SCOPEBOX_ROOT=... instead",
    "DNSOption": "pod create has no --dns-option here (give DNSOption= in the .container)",
    "DNSSearch": "pod create has no --dns-search here (give DNSSearch= in the .container)",
    "IP": "a pod's static address is not supported",
    "IP6": "a pod's static address is not supported",
    "NetworkAlias": "a pod's network aliases are not supported",
    "ServiceName": "the service is always NAME-pod.service",
    "Volume": "pod-level volumes are not supported (give Volume= in each .container)",
    "GIDMap": "user namespaces are not supported",
    "UIDMap": "user namespaces are not supported",
    "SubGIDMap": "user namespaces are not supported",
    "SubUIDMap": "user namespaces are not supported",
    "UserNS": "user namespaces are not supported",
}
POD_ID_FILE = "%t/%N.pod-id"
PID_FILE = "%t/%N.pid"


def pod_service_of(source: str) -> str:
    """`web.pod` -> `web-pod` (the unit's name without .service)."""
    return source[: -len(".pod")] + "-pod"


def _pod_name_ok(name: str) -> bool:
    import re

    return re.fullmatch(_VOLUME_NAME_RE, name) is not None and len(name) <= 253


def convert_pod(path: str, unit: UnitFile, binary: list[str]) -> Service:
    r, base, name = _object_file(path, unit, "Pod", POD_KEYS, POD_NOT_SUPPORTED,
                                 _pod_name_ok)
    service = UnitFile(comments=[f"Automatically generated by scopebox-quadlet from {path}"])
    u = service.ensure("Unit")
    for s in unit.sections:
        copy = service.ensure("X-Pod" if s.name == "Pod" else s.name)
        copy.entries += [unitfile.Entry(e.key, e.value) for e in s.entries]
    own = unit.section("Service")
    for e in own.entries if own else []:
        if e.key in ("ExecStart", "Type", "PIDFile"):
            r.fail(e.line, f"{e.key}= in [Service]: the pod's unit sets it")
    args = _pod_create_flags(r, u)
    if r.problems:
        raise QuadletError(sorted(r.problems, key=lambda p: p.line))
    id_file, pid_file = Specified(POD_ID_FILE), Specified(PID_FILE)
    try:
        u.add("SourcePath", unitfile.plain_value(path))
        u.add("RequiresMountsFor", "%t/scopebox")
        u.add("Wants", "network-online.target")
        u.add("After", "network-online.target")
        svc = service.ensure("Service")
        svc.add("SyslogIdentifier", "%N")
        svc.add("Environment", "PODMAN_SYSTEMD_UNIT=%n")
        svc.add("Type", "forking")
        if own is None or own.last("Restart") is None:
            svc.add("Restart", "on-failure")
        svc.add("PIDFile", pid_file)
        svc.add("ExecStartPre", unitfile.exec_value(["/bin/rm", "-f", pid_file, id_file]))
        create = [*binary, "pod", "create", Specified(f"--infra-conmon-pidfile={PID_FILE}"),
                  Specified(f"--pod-id-file={POD_ID_FILE}"), "--exit-policy=stop", "--replace",
                  f"--name={name}", *args]
        svc.add("ExecStartPre", unitfile.exec_value(create))
        svc.add("ExecStart", unitfile.exec_value(
            [*binary, "pod", "start", Specified(f"--pod-id-file={POD_ID_FILE}")]))
        svc.add("ExecStop", unitfile.exec_value(
            [*binary, "pod", "stop", Specified(f"--pod-id-file={POD_ID_FILE}"), "--ignore",
             "--time=10"]))
        svc.add("ExecStopPost", unitfile.exec_value(
            [*binary, "pod", "rm", Specified(f"--pod-id-file={POD_ID_FILE}"), "--ignore",
             "--force"], "-"))
    except UnitSyntaxError as exc:
        raise QuadletError([Problem(path, exc.line, str(exc))]) from exc
    unit_name = base + "-pod.service"
    return Service(unit_name, service, path, _links(unit, unit_name))


def _pod_create_flags(r: _Reader, unit_sec: Section) -> list[str]:
    flags: list[str] = []
    for e in r.all("Network"):
        source, colon, rest = e.value.partition(":")
        if source.endswith(".network"):  # NAME.network beside it, as in a .container
            net = network_unit_name(r, e, source)
            if net:
                svc = source[: -len(".network")] + "-network.service"
                unit_sec.add("Requires", svc)
                unit_sec.add("After", svc)
                flags.append(f"--network={net}{colon}{rest}")
            continue
        flags.append(f"--network={e.value}")
    for key, flag in (("PublishPort", "--publish"), ("AddHost", "--add-host"),
                      ("DNS", "--dns")):
        flags += [f"{flag}={e.value}" for e in r.all(key)]
    for key in ("PodmanArgs", "ScopeboxArgs"):
        for e in r.all(key):
            flags += r.words(e)
    return flags


def container_pod_flags(r: _Reader, unit_sec: Section) -> list[str]:
    """`Pod=web.pod` in a `.container`: join the pod that web-pod.service made."""
    e = r.last("Pod")
    if e is None:
        return []
    if not e.value.endswith(".pod") or "/" in e.value or e.value == ".pod":
        r.fail(e.line, f"Pod={e.value}: expected the name of a .pod file (web.pod)")
        return []
    for key in ("Network", "PublishPort", "ExposeHostPort", "IP", "IP6", "NetworkAlias"):
        if (other := r.last(key)) is not None:
            r.fail(other.line, f"{key}= cannot be set in a container joining a pod "
                   "(the pod's .pod file sets the network)")
    pod = pod_service_of(e.value)
    unit_sec.add("BindsTo", f"{pod}.service")
    unit_sec.add("After", f"{pod}.service")
    return [Specified(f"--pod-id-file=%t/{pod}.pod-id")]


def link_pod_members(services: Iterable[Service]) -> None:
    """The pod's service `Wants=` and is `Before=` each container bound to it."""
    made = list(services)
    pods = {s.name: s for s in made if s.source.endswith(".pod")}
    for s in made:
        if not s.source.endswith(".container"):
            continue
        u = s.unit.section("Unit")
        for target in u.values("BindsTo") if u else []:
            pod = pods.get(target)
            if pod is not None:
                pu = pod.unit.ensure("Unit")
                pu.add("Wants", s.name)
                pu.add("Before", s.name)


# end pods


def convert_file(path: str, binary: list[str]) -> Service:
    ext = os.path.splitext(path)[1]
    if ext in UNSUPPORTED_KINDS:
        raise QuadletError(
            [Problem(path, 0, f"{ext} files are not supported: {UNSUPPORTED_KINDS[ext]}")]
        )
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        unit = unitfile.parse(text)
    except UnitSyntaxError as exc:
        raise QuadletError([Problem(path, exc.line, str(exc))]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QuadletError([Problem(path, 0, f"cannot read: {exc}")]) from exc
    if ext == ".volume":  # volumes (issue 14)
        return convert_volume(path, unit, binary)
    if ext == ".network":  # networking (issue 13)
        return convert_network(path, unit, binary)
    if ext == ".kube":  # kube (issue 15)
        return convert_kube(path, unit, binary)
    if ext == ".pod":  # pods (helper podsx)
        return convert_pod(path, unit, binary)
    return convert_container(path, unit, binary)


def convert_all(
    dirs: Iterable[str], binary: list[str], log: Callable[[str], None]
) -> list[Service]:
    services = []
    for path in find_sources(dirs, log):
        try:
            services.append(convert_file(path, binary))
        except QuadletError as exc:
            for p in exc.problems:
                log(f"{p} (skipped)")
    link_pod_members(services)  # pods (helper podsx)
    return services


def write(services: list[Service], out_dir: str, log: Callable[[str], None]) -> None:
    os.makedirs(out_dir, exist_ok=True)
    for s in services:
        target = os.path.join(out_dir, s.name)
        tmp = target + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(s.unit.render())
        os.rename(tmp, target)
        for link in s.links:
            dest = os.path.join(out_dir, link)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            try:
                if os.path.lexists(dest):
                    os.unlink(dest)
                os.symlink(os.path.join("..", s.name), dest)
            except OSError as exc:
                log(f"cannot link {dest}: {exc}")


class _Log:
    """Generators run before and alongside journald: the journal when it listens (so
    `journalctl -t scopebox-quadlet-generator` shows the problems), else /dev/kmsg as Quadlet
    does (journald reads it later), else stderr."""

    IDENT = "scopebox-quadlet-generator"

    def __init__(self, use_system_logs: bool) -> None:
        self.journal: Any = None
        self.kmsg = -1
        if not use_system_logs:
            return
        from units import journald

        self.journal = journald.JournalWriter()
        try:
            self.kmsg = os.open("/dev/kmsg", os.O_WRONLY | os.O_CLOEXEC)
        except OSError:
            self.kmsg = -1

    def __call__(self, message: str) -> None:
        if self.journal is not None:
            from units import journald

            entry = journald.encode_entry(
                [
                    ("MESSAGE", message.encode()),
                    ("PRIORITY", b"3"),
                    ("SYSLOG_IDENTIFIER", self.IDENT.encode()),
                ]
            )
            try:
                self.journal.send(entry)
                return
            except OSError:
                pass
        line = f"{self.IDENT}[{os.getpid()}]: {message}\n"
        if self.kmsg >= 0:
            try:
                os.write(self.kmsg, line.encode())
                return
            except OSError:
                self.kmsg = -1
        sys.stderr.write(line)
        sys.stderr.flush()


def generator_main(argv: list[str]) -> int:
    """systemd generator: `[--scopebox=PATH] [--user] [--no-kmsg-log] NORMAL [EARLY LATE]`,
    or `--dryrun` to print the units instead (the `scopebox quadlet` verb calls this too)."""
    binary = os.environ.get("SCOPEBOX_BINARY", "/usr/local/bin/scopebox")
    user = "user" in os.path.basename(sys.argv[0] if sys.argv else "")
    dryrun = kmsg_off = False
    rest = []
    for a in argv:
        if a.startswith("--scopebox="):
            binary = a.split("=", 1)[1]
        elif a == "--user":
            user = True
        elif a in ("--dryrun", "-dryrun"):
            dryrun = True
        elif a in ("--no-kmsg-log", "-no-kmsg-log"):
            kmsg_off = True
        else:
            rest.append(a)
    log = _Log(use_system_logs=not (dryrun or kmsg_off))
    if not dryrun and not rest:
        log("missing output directory argument")
        return 1
    services = convert_all(unit_dirs(user, dict(os.environ)), [binary], log)
    if dryrun:
        for s in services:
            sys.stdout.write(f"---{s.name}---\n{s.unit.render()}\n")
        return 0
    try:
        write(services, rest[0], log)
    except OSError as exc:
        log(f"cannot write units to {rest[0]}: {exc}")
        return 1
    return 0


def _oneshot(r: _Reader, unit: UnitFile, path: str, kind: str, argv: list[str], unit_name: str,
             stop: list[str] | None = None) -> Service:
    """The service of a `.volume`, `.network` or `.kube` file: a oneshot that stays active
    (`argv` gets the file's PodmanArgs/ScopeboxArgs before its last word, the name or YAML)."""
    for key in ("PodmanArgs", "ScopeboxArgs"):
        for e in r.all(key):
            argv[-1:-1] = r.words(e)
    if r.problems:
        raise QuadletError(sorted(r.problems, key=lambda p: p.line))
    service = UnitFile(comments=[f"Automatically generated by scopebox-quadlet from {path}"])
    u = service.ensure("Unit")
    for s in unit.sections:
        copy_sec = service.ensure(f"X-{kind}" if s.name == kind else s.name)
        copy_sec.entries += [unitfile.Entry(e.key, e.value) for e in s.entries]
    try:
        u.add("SourcePath", unitfile.plain_value(path))
        u.add("RequiresMountsFor", "%t/scopebox")
        svc = service.ensure("Service")
        svc.add("Type", "oneshot")
        svc.add("RemainAfterExit", "yes")
        svc.add("SyslogIdentifier", "%N")
        svc.add("ExecStart", unitfile.exec_value(argv))
        if stop is not None:
            svc.add("ExecStop", unitfile.exec_value(stop))
    except UnitSyntaxError as exc:
        raise QuadletError([Problem(path, exc.line, str(exc))]) from exc
    return Service(unit_name, service, path, _links(unit, unit_name))


def _section_reader(path: str, unit: UnitFile, kind: str, keys: Iterable[str],
                    not_supported: Mapping[str, str]) -> tuple[_Reader, str]:
    """The [Kind] section of a `.kind` file, its keys checked (each problem recorded in the
    reader, none raised but a missing section), and the file's base name."""
    sec = unit.section(kind)
    base = os.path.basename(path)[: -len(kind) - 1]
    if sec is None:
        raise QuadletError([Problem(path, 0, f"no [{kind}] section")])
    r = _Reader(path, sec)
    for e in sec.entries:
        if e.key in not_supported:
            r.fail(e.line, f"{e.key}= is not supported by scopebox: {not_supported[e.key]}")
        elif e.key not in keys:
            r.fail(e.line, f"unknown key {e.key}= in [{kind}]")
    return r, base


def _object_file(path: str, unit: UnitFile, kind: str, keys: Iterable[str],
                 not_supported: Mapping[str, str], name_ok: Callable[[str], object]
                 ) -> tuple[_Reader, str, str]:
    """The [Volume], [Network] or [Pod] section of a `.volume`/`.network`/`.pod` file read:
    its reader (keys checked), the file's base name, and the object's name (KindName=, else
    systemd-<base>), checked by `name_ok`."""
    r, base = _section_reader(path, unit, kind, keys, not_supported)
    name_entry = r.last(kind + "Name")
    name = name_entry.value if name_entry else "systemd-" + base
    if not name_ok(name):
        r.fail(name_entry.line if name_entry else 0,
               f"invalid {kind.lower()} name {name!r} (names must match {_VOLUME_NAME_RE})")
    return r, base, name
