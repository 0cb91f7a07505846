"""Pure parsers of `-v`, `--mount` and `--volumes-from` (Podman 4.3's syntax and messages).

A spec becomes either an OCI mount (`spec.Mount`: binds, tmpfs, devpts) or a `VolumeMount`
(a named or anonymous volume, resolved to a bind of its data dir at start). Nothing here
touches the host; `validate_name` is the one rule for volume names (they become paths and
appear in unit files, so they are held to Podman's `[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from supervisor.errors import UsageError
from supervisor.spec import Mount

NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_PROPAGATIONS = frozenset(
    {"private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable"}
)
_FLAGS = frozenset({"nosuid", "suid", "nodev", "dev", "noexec", "exec"})
_SIZE_RE = re.compile(r"[0-9]+[kmgKMG]?")
_MODE_RE = re.compile(r"0?[0-7]{3,4}")


@dataclass(frozen=True)
class VolumeMount:
    """A volume in a container: `name` is "" for an anonymous one until `create` names it."""

    name: str
    destination: str
    options: tuple[str, ...] = ("rbind", "rw", "rprivate", "nosuid", "nodev")  # OCI options
    anonymous: bool = False
    copy: bool = True  # copy the image's content at the destination into a new volume
    chown: bool = False  # :U, chown the volume to the container's user at each start
    overlay: bool = False  # :O, an overlay on the volume's data (supervisor/volumes/overlay.py)

    @property
    def rw(self) -> bool:
        return "ro" not in self.options


NAME_RULE = "running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"


def validate_name(name: str, implicit: bool = False) -> str:
    """Podman's messages: `volume create` says the rule; `-v`/`--mount` (`implicit`) name
    the volume they would have made first."""
    if len(name) > 255 or not NAME_RE.fullmatch(name):
        prefix = f'creating named volume "{name}": ' if implicit else ""
        raise UsageError(f"{prefix}{NAME_RULE}: invalid argument")
    return name


def container_path(path: str) -> str:
    if not path.startswith("/"):
        raise UsageError(f'invalid container path "{path}", must be an absolute path')
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if path == "/":
        raise UsageError("invalid container path \"/\": a volume cannot be mounted on '/'")
    return path


def is_path(source: str) -> bool:
    """Podman's rule: a source starting with / or . is a host path, else a volume name."""
    return source.startswith(("/", "."))


@dataclass
class _Opts:
    """What `-v`'s third field or `--mount`'s keys asked for."""

    ro: bool | None = None
    propagation: str = ""
    recursive: bool = True
    flags: list[str] | None = None
    copy: bool = True
    chown: bool = False
    overlay: bool = False  # :O (supervisor/volumes/overlay.py)

    def oci(self, default_flags: tuple[str, ...]) -> tuple[str, ...]:
        flags = list(default_flags)
        for flag in self.flags or []:
            opposite = flag[2:] if flag.startswith("no") else "no" + flag
            flags = [f for f in flags if f not in (flag, opposite)] + [flag]
        return ("rbind" if self.recursive else "bind", "ro" if self.ro else "rw",
                self.propagation or "rprivate", *flags)


def _set_ro(o: _Opts, ro: bool, text: str) -> None:
    if o.ro is not None:
        raise UsageError(
            f'invalid options "{text}", can only specify 1 \'rw\' or \'ro\' option')
    o.ro = ro


def _volume_options(text: str, named: bool) -> _Opts:
    o = _Opts(flags=[])
    assert o.flags is not None
    items = text.split(",") if text else []
    for opt in items:
        if opt in ("ro", "rw"):
            _set_ro(o, opt == "ro", ", ".join(items))
        elif opt in ("z", "Z"):
            continue  # SELinux relabelling: nothing to do without SELinux
        elif opt in ("bind", "rbind"):
            o.recursive = opt == "rbind"
        elif opt in _PROPAGATIONS:
            o.propagation = opt
        elif opt in _FLAGS:
            o.flags.append(opt)
        elif opt == "U":
            o.chown = True
        elif opt in ("copy", "nocopy"):
            if not named:
                raise UsageError(f"invalid option {opt!r}: copy and nocopy are for volumes")
            o.copy = opt == "copy"
        elif opt == "O":
            o.overlay = True
        elif opt.startswith("idmap"):
            raise UsageError("idmapped mounts (idmap) are not supported by scopebox")
        else:
            raise UsageError(f'invalid option type "{opt}"')
    if o.overlay and len(items) > 1:  # Podman's rule and words
        raise UsageError("can't use 'O' with other options")
    return o


def parse_volume(value: str) -> Mount | VolumeMount:
    """`-v SRC:DST[:OPTS]`, `-v NAME:DST[:OPTS]`, `-v DST` (an anonymous volume).

    A relative host path (`./data`, `../x`) must be made absolute by the caller first."""
    parts = value.split(":")
    if not value or len(parts) > 3 or any(not p for p in parts[:2]):
        raise UsageError(f"invalid volume {value!r}: expected [SOURCE:]DESTINATION[:OPTIONS]")
    if len(parts) == 1:
        return VolumeMount("", container_path(parts[0]), anonymous=True)
    source, dest = parts[0], parts[1]
    text = parts[2] if len(parts) == 3 else ""
    if is_path(source):
        if not source.startswith("/"):
            raise UsageError(f"invalid volume {value!r}: relative host path {source!r}")
        o = _volume_options(text, named=False)
        if o.chown:
            raise UsageError(f"invalid volume {value!r}: :U is supported on volumes only")
        if o.overlay:
            from supervisor.volumes.overlay import stored

            return stored(container_path(dest), posixpath.normpath(source),
                          o.oci(tuple(o.flags or ())))
        return Mount(container_path(dest), posixpath.normpath(source), "bind",
                     o.oci(tuple(o.flags or ())))
    validate_name(source, implicit=True)
    o = _volume_options(text, named=True)
    return VolumeMount(source, container_path(dest), o.oci(("nosuid", "nodev")),
                       copy=o.copy, chown=o.chown, overlay=o.overlay)


_MOUNT_TYPES = ("bind", "volume", "tmpfs", "devpts", "image")


def _bool(key: str, value: str | None) -> bool:
    if value is None or value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise UsageError(f"--mount {key}={value!r}: expected true or false")


def _mount_fields(value: str) -> tuple[str, dict[str, str | None]]:
    fields: dict[str, str | None] = {}
    kind = ""
    for item in value.split(","):
        key, eq, arg = item.partition("=")
        key = key.strip().lower()
        if not key:
            raise UsageError(f"invalid --mount {value!r}: empty option")
        if key == "type":
            kind = arg
            continue
        if key in ("src", "source"):
            key = "source"
        elif key in ("dst", "target", "destination"):
            key = "destination"
        elif key in ("ro", "readonly"):
            key = "readonly"
        if key in fields and key != "volume-opt":
            raise UsageError(f"invalid --mount {value!r}: {key} given twice")
        fields[key] = arg if eq else None
    if not kind:
        raise UsageError(f"invalid --mount {value!r}: type=bind|volume|tmpfs|devpts is required")
    if kind not in _MOUNT_TYPES:
        raise UsageError(f'invalid filesystem type "{kind}"')
    return kind, fields


_COMMON = {"destination", "readonly", "relabel", "consistency", "z", "Z"}
_KEYS = {
    "bind": _COMMON | {"source", "bind-propagation", "bind-nonrecursive", "U", "chown"},
    "volume": _COMMON | {"source", "volume-nocopy", "volume-opt", "volume-label", "U", "chown",
                         "nocopy"},
    "tmpfs": _COMMON | {"tmpfs-size", "tmpfs-mode", "size", "mode", "notmpcopyup", "tmpcopyup"},
    "devpts": {"destination", "uid", "gid", "mode", "max"},
    "image": {"destination", "source", "rw"},
}


def parse_mount(value: str) -> Mount | VolumeMount:
    """`--mount type=bind|volume|tmpfs|devpts,...` with Docker's and Podman's keys."""
    kind, f = _mount_fields(value)
    if kind == "image" and "readwrite" in f:  # Podman's other spelling of rw= there
        if "rw" in f:
            raise UsageError(f"invalid --mount {value!r}: rw given twice")
        f["rw"] = f.pop("readwrite")
    for key in f:
        if key not in _KEYS[kind] and key.upper() not in _KEYS[kind]:
            raise UsageError(f"{key}: invalid mount option")
    dest = f.get("destination")
    if not dest:
        raise UsageError(f"invalid --mount {value!r}: a destination (dst=) is required")
    dest = container_path(dest)
    if kind == "image":  # an overlay of the image's layers (supervisor/volumes/overlay.py)
        from supervisor.volumes.overlay import image_mount

        return image_mount(dest, f.get("source") or "", _bool("rw", f["rw"]) if "rw" in f
                           else False)  # fmt: skip
    ro = _bool("readonly", f["readonly"]) if "readonly" in f else False
    if kind == "devpts":
        return _devpts(dest, f)
    if kind == "tmpfs":
        return _tmpfs(dest, f, ro)
    o = _Opts(ro=ro, flags=[])
    if kind == "bind":
        return _bind(dest, f, o, value)
    source = f.get("source") or ""
    if "volume-opt" in f:
        raise UsageError("--mount volume-opt is not supported: create the volume first"
                         " with `volume create --opt`")
    copy = not _bool("volume-nocopy", f.get("volume-nocopy", "false"))
    chown = "U" in f or "u" in f or ("chown" in f and _bool("chown", f["chown"]))
    if not source:
        return VolumeMount("", dest, o.oci(("nosuid", "nodev")), anonymous=True, copy=copy,
                           chown=chown)
    return VolumeMount(validate_name(source, True), dest, o.oci(("nosuid", "nodev")), copy=copy,
                       chown=chown)


def _bind(dest: str, f: dict[str, str | None], o: _Opts, value: str) -> Mount:
    source = f.get("source")
    if not source:
        raise UsageError(f"invalid --mount {value!r}: type=bind needs a source (src=)")
    if not source.startswith("/"):
        raise UsageError(f"invalid --mount {value!r}: the bind source must be an absolute path")
    prop = f.get("bind-propagation")
    if prop is not None:
        if prop not in _PROPAGATIONS:
            raise UsageError(f"invalid --mount bind-propagation={prop!r}")
        o.propagation = prop
    if "bind-nonrecursive" in f:
        o.recursive = not _bool("bind-nonrecursive", f["bind-nonrecursive"])
    if "U" in f or "u" in f or "chown" in f:
        raise UsageError("--mount type=bind: U (chown) is supported on volumes only")
    return Mount(dest, posixpath.normpath(source), "bind", o.oci(()))


def _tmpfs(dest: str, f: dict[str, str | None], ro: bool) -> Mount:
    options = ["ro" if ro else "rw", "nosuid", "nodev"]  # exec allowed, as Podman 4.3's
    size = f.get("tmpfs-size") or f.get("size")
    if size is not None:
        if not _SIZE_RE.fullmatch(size):
            raise UsageError(f"invalid --mount tmpfs-size={size!r}")
        options.append(f"size={size}")
    mode = f.get("tmpfs-mode") or f.get("mode")
    if mode is not None:
        if not _MODE_RE.fullmatch(mode):
            raise UsageError(f"invalid --mount tmpfs-mode={mode!r}: an octal mode like 1777")
        options.append(f"mode={mode}")
    if "notmpcopyup" in f:  # the runtime's copy-up is the default (spec.tmpfs_copyup)
        options.append("notmpcopyup")
    return Mount(dest, "tmpfs", "tmpfs", tuple(options))


def _devpts(dest: str, f: dict[str, str | None]) -> Mount:
    options = ["nosuid", "noexec", "newinstance", "ptmxmode=0666"]
    for key in ("uid", "gid", "max"):
        arg = f.get(key)
        if arg is not None:
            if not arg.isdigit():
                raise UsageError(f"invalid --mount {key}={arg!r}: a number")
            options.append(f"{key}={arg}")
    mode = f.get("mode")
    options.append(f"mode={mode}" if mode and _MODE_RE.fullmatch(mode) else "mode=0620")
    if mode and not _MODE_RE.fullmatch(mode):
        raise UsageError(f"invalid --mount mode={mode!r}: an octal mode like 0620")
    return Mount(dest, "devpts", "devpts", tuple(options))


def parse_volumes_from(value: str) -> tuple[str, bool | None]:
    """`--volumes-from CTR[:ro|rw]`: the container and the forced mode (None: as it is)."""
    ref, colon, mode = value.partition(":")
    if not ref:
        raise UsageError(f"invalid --volumes-from {value!r}: a container is required")
    if not colon:
        return ref, None
    opts = mode.split(",")
    if any(o not in ("ro", "rw", "z", "Z") for o in opts):
        raise UsageError(f"invalid --volumes-from {value!r}: options are ro, rw, z")
    modes = [o for o in opts if o in ("ro", "rw")]
    if len(modes) > 1:
        raise UsageError(f'invalid options "{mode}", can only specify 1 \'rw\' or \'ro\' option')
    return ref, (modes[0] == "ro") if modes else None


def with_mode(options: tuple[str, ...], ro: bool | None) -> tuple[str, ...]:
    """Options with ro/rw replaced (`--volumes-from CTR:ro`)."""
    if ro is None:
        return options
    return tuple(("ro" if ro else "rw") if o in ("ro", "rw") else o for o in options)


def split(items: list[Mount | VolumeMount]) -> tuple[list[Mount], list[VolumeMount]]:
    mounts = [m for m in items if isinstance(m, Mount)]
    return mounts, [v for v in items if isinstance(v, VolumeMount)]


def check_unique(destinations: list[str]) -> None:
    seen: set[str] = set()
    for dest in destinations:
        if dest in seen:
            raise UsageError(f"{dest}: duplicate mount destination")
        seen.add(dest)


def image_volumes(image_volumes: object, taken: set[str]) -> list[VolumeMount]:
    """The image's `VOLUME`s not covered by a mount of the user: anonymous volumes."""
    out: list[VolumeMount] = []
    if not isinstance(image_volumes, dict):
        return out
    for path in sorted(image_volumes):
        if not isinstance(path, str) or not path:
            continue
        # a relative one (a Containerfile's `VOLUME ['/a', '/b']` gives `[/a,`) is below /,
        # as Podman makes it
        dest = posixpath.normpath(posixpath.join("/", path))
        if dest != "/" and dest not in taken:
            taken.add(dest)
            out.append(VolumeMount("", dest, anonymous=True))
    return out


def absolute_source(value: str, cwd: str) -> str:
    """`-v ./data:/d` names a host path relative to the caller's directory (as Podman)."""
    source, colon, rest = value.partition(":")
    if colon and source.startswith("."):
        return posixpath.normpath(posixpath.join(cwd, source)) + colon + rest
    return value


def bind_sources(volumes: list[str], mounts: list[str]) -> list[str]:
    """The host paths that -v and --mount bind (for the caller to check they exist)."""
    out = []
    for item in [parse_volume(v) for v in volumes] + [parse_mount(m) for m in mounts]:
        if isinstance(item, Mount) and item.type == "bind":
            out.append(item.source)
    return out
