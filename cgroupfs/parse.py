"""Pure parsers for the text the kernel shows under /proc and in cgroup control files.

No I/O here. This module is imported by the per-container monitor (through
`cgroupfs.events`), so it imports nothing at run time: plain string operations only.

Formats follow the kernel's Documentation/admin-guide/cgroup-v2.rst ("Conventions":
flat keyed, nested keyed) and Documentation/filesystems/proc.rst (mountinfo).
"""

from __future__ import annotations

# The v1 controllers a `cgroup` mount's super options can name. Every other option
# (rw, xattr, noprefix, clone_children, release_agent=..., name=...) is not a controller,
# except `name=X`, which we keep verbatim because it names a hierarchy (name=systemd).
V1_CONTROLLERS = frozenset(
    {
        "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory",
        "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma",
    }
)  # fmt: skip

_OCTAL_ESCAPE_LEN = 4  # mountinfo escapes space, tab, newline and backslash as \ooo


class MountEntry:
    """One line of /proc/<pid>/mountinfo (fields named as in proc(5))."""

    __slots__ = (
        "fstype",
        "mount_id",
        "mount_options",
        "mount_point",
        "parent_id",
        "root",
        "source",
        "super_options",
    )

    def __init__(
        self,
        mount_id: int,
        parent_id: int,
        root: str,
        mount_point: str,
        mount_options: str,
        fstype: str,
        source: str,
        super_options: str,
    ) -> None:
        self.mount_id = mount_id
        self.parent_id = parent_id
        self.root = root
        self.mount_point = mount_point
        self.mount_options = mount_options
        self.fstype = fstype
        self.source = source
        self.super_options = super_options

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MountEntry) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"MountEntry({self.mount_id}, {self.fstype!r}, {self.mount_point!r}, "
            f"root={self.root!r}, super_options={self.super_options!r})"
        )

    def cgroup_controllers(self) -> frozenset[str]:
        """Controllers of a v1 `cgroup` mount, from its super options (`name=X` kept)."""
        if self.fstype != "cgroup":
            return frozenset()
        return frozenset(
            opt
            for opt in self.super_options.split(",")
            if opt in V1_CONTROLLERS or opt.startswith("name=")
        )


def unescape_mountinfo(field: str) -> str:
    """Undo the kernel's octal escaping (`\\040` for a space) in a mountinfo path field."""
    if "\\" not in field:
        return field
    out: list[str] = []
    i = 0
    while i < len(field):
        chunk = field[i : i + _OCTAL_ESCAPE_LEN]
        if len(chunk) == _OCTAL_ESCAPE_LEN and chunk[0] == "\\" and chunk[1:].isdigit():
            out.append(chr(int(chunk[1:], 8)))
            i += _OCTAL_ESCAPE_LEN
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo_line(line: str) -> MountEntry:
    """Parse one mountinfo line; raises ValueError if it is malformed."""
    fields = line.split(" ")
    try:
        sep = fields.index("-", 6)  # optional fields end at a lone "-"
        mount_id, parent_id, _devno, root, mount_point, mount_options = fields[:6]
        fstype, source, super_options = fields[sep + 1 : sep + 4]
        return MountEntry(
            int(mount_id),
            int(parent_id),
            unescape_mountinfo(root),
            unescape_mountinfo(mount_point),
            mount_options,
            fstype,
            unescape_mountinfo(source),
            super_options,
        )
    except ValueError as exc:
        raise ValueError(f"malformed mountinfo line: {line!r}") from exc


def parse_mountinfo(text: str) -> list[MountEntry]:
    """Parse the whole of /proc/<pid>/mountinfo, in mount order."""
    return [parse_mountinfo_line(line) for line in text.splitlines() if line]


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """Parse /proc/<pid>/cgroup into {controller: path}.

    v1 lines `4:memory:/a` give one key per controller (`cpu,cpuacct` gives two), named
    hierarchies keep their `name=` prefix; the v2 line `0::/a` gives the key "".
    """
    result: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            continue
        parts = line.split(":", 2)  # the path itself may contain ':'
        if len(parts) != 3:
            raise ValueError(f"malformed /proc/<pid>/cgroup line: {line!r}")
        _hier_id, controllers, path = parts
        if not controllers:
            result[""] = path
            continue
        for controller in controllers.split(","):
            result[controller] = path
    return result


def parse_flat_keyed(text: str) -> dict[str, int]:
    """Parse a flat-keyed file (`memory.stat`, `memory.events`, `cgroup.events`, v1
    `memory.oom_control`): one `KEY VALUE` per line, integer values."""
    result: dict[str, int] = {}
    for line in text.splitlines():
        if not line:
            continue
        key, sep, value = line.partition(" ")
        if not sep:
            raise ValueError(f"malformed flat-keyed line: {line!r}")
        result[key] = int(value)
    return result


def parse_nested_keyed(text: str) -> dict[str, dict[str, str]]:
    """Parse a nested-keyed file (`io.stat`, `cpu.pressure`, `io.max`):
    `KEY SUB=VAL SUB=VAL ...` per line. Values stay strings: they may be `max` or floats."""
    result: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if not line:
            continue
        key, *pairs = line.split()
        entry: dict[str, str] = {}
        for pair in pairs:
            sub, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"malformed nested-keyed line: {line!r}")
            entry[sub] = value
        result[key] = entry
    return result


def parse_io_stat(text: str) -> dict[str, dict[str, int]]:
    """Parse v2 `io.stat` ({"MAJ:MIN": {"rbytes": n, ...}}); all its values are integers."""
    return {
        dev: {k: int(v) for k, v in entry.items()}
        for dev, entry in parse_nested_keyed(text).items()
    }


def parse_max(text: str) -> int | None:
    """Parse a single-value limit file (`pids.max`, `memory.max`): `max` is None."""
    value = text.strip()
    return None if value == "max" else int(value)


def parse_pid_list(text: str) -> list[int]:
    """Parse `cgroup.procs` / `tasks`: one pid per line, maybe unsorted or repeated (v1)."""
    return sorted({int(line) for line in text.split()})


def hierarchy_dir(mount_point: str, mount_root: str, cgroup_path: str) -> str:
    """The directory of `cgroup_path` (as /proc/<pid>/cgroup shows it) in a hierarchy
    mounted at `mount_point` whose mountinfo root is `mount_root`.

    A hierarchy mounted from a sub-directory (a bind mount, or a mount made inside a cgroup
    namespace) has a root other than "/"; /proc/<pid>/cgroup shows paths from the hierarchy's
    root, so that prefix has to be cut off.
    """
    path = cgroup_path
    if mount_root not in ("", "/"):
        if path == mount_root:
            path = "/"
        elif path.startswith(mount_root + "/"):
            path = path[len(mount_root) :]
    return mount_point.rstrip("/") + ("" if path == "/" else path)
