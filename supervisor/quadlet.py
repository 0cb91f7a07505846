"""Quadlet-compatible unit generator: `.container` files become `.service` units that run
`scopebox run` (Podman's podman-systemd.unit(5) keys that apply to scopebox).

Differences from Podman's Quadlet, on purpose:
- Values of the `[Container]` section are literal: after the file's own quoting is read
  (systemd's rules), every `%`, `$`, quote, newline or blank reaches the container exactly as
  written. Podman lets systemd expand specifiers in them (`ContainerName=%N`); scopebox does not,
  so that no value can change the unit's meaning. `[Unit]`, `[Service]`, `[Install]` and other
  sections are the admin's own unit syntax and pass through unchanged.
- Errors name the file and line (`web.container:7: ...`); a file with an error produces no unit.
- `.volume`, `.network`, `.pod` and `.kube` files are reported as unsupported: scopebox has no
  named volumes, bridge networks or pods yet. Keys scopebox cannot honour are refused, never
  dropped.

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
    from collections.abc import Callable, Iterable
    from typing import Any

SYSTEM_DIRS = (
    "/run/containers/systemd",
    "/etc/containers/systemd",
    "/usr/share/containers/systemd",
)
DIRS_ENV = "SCOPEBOX_QUADLET_UNIT_DIRS"  # colon-separated; replaces the defaults (tests)
EXTENSIONS = (".container", ".volume", ".network", ".pod", ".kube")
UNSUPPORTED_KINDS = {
    ".volume": "scopebox has no named volumes yet",
    ".network": "scopebox has no networks but none and host yet",
    ".pod": "scopebox has no pods",
    ".kube": "scopebox does not run Kubernetes YAML",
}
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
HANDLED = {"Image", "Rootfs", "Exec", "Environment", "EnvironmentFile", "Volume", "Network"}
HANDLED |= {"User", "Group", "Label", "Notify", "ReadOnly", "VolatileTmp", "PodmanArgs"}
HANDLED |= {"ScopeboxArgs", "PublishPort"}
SUPPORTED = HANDLED | set(RAW_FLAGS) | set(MULTI_FLAGS)
# Quadlet keys scopebox cannot honour (yet): refused with the reason, never silently dropped.
NOT_SUPPORTED = {
    "AddCapability": "capabilities are not configurable yet",
    "DropCapability": "capabilities are not configurable yet",
    "AddDevice": "devices are not supported",
    "Annotation": "annotations are not supported",
    "AutoUpdate": "auto-update is not supported",
    "ContainersConfModule": "containers.conf is not read",
    "DNS": "DNS options are not supported",
    "DNSOption": "DNS options are not supported",
    "DNSSearch": "DNS options are not supported",
    "EnvironmentHost": "--env-host is not supported",
    "ExposeHostPort": "ports are not supported",
    "GIDMap": "user namespaces are not supported",
    "UIDMap": "user namespaces are not supported",
    "SubGIDMap": "user namespaces are not supported",
    "SubUIDMap": "user namespaces are not supported",
    "RemapGid": "user namespaces are not supported",
    "RemapUid": "user namespaces are not supported",
    "RemapUidSize": "user namespaces are not supported",
    "RemapUsers": "user namespaces are not supported",
    "UserNS": "user namespaces are not supported",
    "GlobalArgs": "use [Service] Environment=SCOPEBOX_ROOT=... instead",
    "HealthStartupCmd": "startup healthchecks are not supported",
    "HealthStartupInterval": "startup healthchecks are not supported",
    "HealthStartupRetries": "startup healthchecks are not supported",
    "HealthStartupSuccess": "startup healthchecks are not supported",
    "HealthStartupTimeout": "startup healthchecks are not supported",
    "IP": "networks are not supported",
    "IP6": "networks are not supported",
    "Mask": "masked paths are not configurable",
    "Unmask": "masked paths are not configurable",
    "Mount": "--mount is not supported (use Volume= or Tmpfs=)",
    "NoNewPrivileges": "security options are not supported",
    "SeccompProfile": "security options are not supported",
    "SecurityLabelDisable": "SELinux labels are not supported",
    "SecurityLabelFileType": "SELinux labels are not supported",
    "SecurityLabelLevel": "SELinux labels are not supported",
    "SecurityLabelNested": "SELinux labels are not supported",
    "SecurityLabelType": "SELinux labels are not supported",
    "Pod": "pods are not supported",
    "Pull": "pulling is not supported by run",
    "ReadOnlyTmpfs": "--read-only-tmpfs is not supported",
    "RunInit": "--init is not supported",
    "Secret": "secrets are not supported",
    "ShmSize": "--shm-size is not supported",
    "Sysctl": "sysctls are not supported",
    "Timezone": "--tz is not supported",
}


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
    sec = unit.section("Container")
    name = os.path.basename(path)[: -len(".container")] + ".service"
    if sec is None:
        raise QuadletError([Problem(path, 0, "no [Container] section")])
    r = _Reader(path, sec)
    for e in sec.entries:
        if e.key in NOT_SUPPORTED:
            r.fail(e.line, f"{e.key}= is not supported by scopebox: {NOT_SUPPORTED[e.key]}")
        elif e.key not in SUPPORTED:
            r.fail(e.line, f"unknown key {e.key}= in [Container]")
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
    if r.boolean("ReadOnly"):
        flags.append("--read-only")
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
        if e.value.endswith(".network"):
            r.fail(e.line, f"Network={e.value}: .network units are not supported")
        flags.append(f"--network={e.value}")
    for e in r.all("PublishPort"):
        r.fail(e.line, f"PublishPort={e.value}: scopebox does not publish ports yet")
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
        source = e.value.split(":", 1)[0]
        if ":" not in e.value or not source.startswith("/"):
            r.fail(e.line, f"Volume={e.value}: only bind mounts (/host/path:/ctr/path) work")
            continue
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
