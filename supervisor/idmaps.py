"""A container's own user namespace (issues 17 and 19): `--userns`, `--uidmap`, `--gidmap`,
`--subuidname`, `--subgidname`, with Podman 4.3's semantics and messages.

    UsernsOptions (the CLI's parse) --validate(opts, UsernsFacts)--> Userns (stored)
    Userns (mode auto) --allocate(userns, taken, ranges, image_size)--> Userns with its maps
    Userns --apply(spec, ns_path)--> the OCI config's user namespace and id mappings

The maps are in the engine's own terms: host ids as root, the ids of the user's namespace
(`supervisor/rootless/userns.py`) when rootless, as Podman's are. The root filesystem is
owned through the map by a shifted copy of the image (`supervisor/rootfs.py`): runc 1.1
cannot idmap mounts, and this kernel idmaps overlay's lower layers but not an upper layer the
mounter's own uid is unmapped in (measured; the report of branch userns).

Standard library only, no import of the model (the model imports this module).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from supervisor.errors import NotFoundError, UsageError
from supervisor.options import UsernsOptions

AUTO_MIN_SIZE = 1024  # containers/storage's auto_userns_min_size
AUTO_MAX_SIZE = 65536  # and auto_userns_max_size
AUTO_USER = "containers"  # whose /etc/subuid ranges --userns=auto takes from (as root)
SUBUID = "/etc/subuid"
SUBGID = "/etc/subgid"
MODES = ("host", "private", "auto", "keep-id", "nomap", "ns", "container")


class IdRange(NamedTuple):
    """One line of a uid_map: `size` ids from `container` inside are `host` outside."""

    container: int
    host: int
    size: int

    def text(self) -> str:
        return f"{self.container}:{self.host}:{self.size}"


@dataclass(frozen=True)
class Userns:
    """What the flags decided (stored in the container's config)."""

    mode: str = "host"
    target: str = ""  # ns: the file; container: the other container's full id
    uid_map: tuple[IdRange, ...] = ()
    gid_map: tuple[IdRange, ...] = ()
    user: str = ""  # keep-id: "UID:GID", the process's user unless --user says otherwise
    # auto: what was asked (size 0: from the image), before `allocate` fills the maps
    auto_size: int = 0
    auto_uid: tuple[IdRange, ...] = ()
    auto_gid: tuple[IdRange, ...] = ()

    @property
    def private(self) -> bool:
        """A user namespace of its own (or another's), not the engine's."""
        return self.mode != "host"

    @property
    def mapped(self) -> bool:
        """Its maps are known here: the root filesystem must be owned through them."""
        return bool(self.uid_map) and self.mode not in ("ns",)

    def to_host(self, uid: int, gid: int) -> tuple[int, int]:
        """An id pair inside, as the files outside hold it (unmapped ids stay as they are)."""
        return map_id(self.uid_map, uid), map_id(self.gid_map, gid)

    def to_container(self, uid: int, gid: int) -> tuple[int, int]:
        """A host id pair as the container sees it (`export`'s owners)."""
        return unmap_id(self.uid_map, uid), unmap_id(self.gid_map, gid)

    def mode_text(self) -> str:
        """inspect's HostConfig.UsernsMode, as Podman 4.3 shows it."""
        if self.mode == "host":
            return ""
        if self.mode in ("ns", "container"):
            return f"{self.mode}:{self.target}"
        return "" if self.mode == "auto" else "private"  # (Podman 4.3's, at create)


@dataclass(frozen=True)
class UsernsFacts:
    """What validation needs from the host."""

    rootless: bool = False
    outer_uid: int = 0  # rootless: the user outside (0 inside the user's namespace)
    outer_gid: int = 0
    ns_uids: int = 0  # rootless: how many uids/gids the user's namespace has
    ns_gids: int = 0
    subuids: Mapping[str, tuple[IdRange, ...]] = field(default_factory=dict)  # by name
    subgids: Mapping[str, tuple[IdRange, ...]] = field(default_factory=dict)
    existing: frozenset[str] = frozenset()  # ns: paths that exist
    containers: Mapping[str, tuple[str, Userns]] = field(default_factory=dict)  # ref ->


# the impure part ----------------------------------------------------------------------------


def gather_facts(opts: UsernsOptions, find: Callable[[str], tuple[str, Userns]]) -> UsernsFacts:
    """`find(ref)`: a container's full id and user namespace, or NotFoundError."""
    from supervisor.rootless import is_rootless
    from supervisor.rootless.subids import read

    if not opts.given:
        return UsernsFacts()
    names = {n for n in (opts.subuidname, opts.subgidname) if n}
    subuids = {n: tuple(IdRange(0, r.start, r.size) for r in read(SUBUID, n, -1))
               for n in names}
    subgids = {n: tuple(IdRange(0, r.start, r.size) for r in read(SUBGID, n, -1))
               for n in names}
    value = opts.userns or ""
    existing = frozenset([value[3:]] if value.startswith("ns:") and os.path.exists(value[3:])
                         else [])
    containers = {}
    if value.startswith("container:") and value[10:]:
        with contextlib.suppress(NotFoundError):
            containers[value[10:]] = find(value[10:])
    rootless = is_rootless()
    facts = UsernsFacts(subuids=subuids, subgids=subgids, existing=existing,
                        containers=containers)
    if not rootless:
        return facts
    from supervisor.rootless import outer_uid

    uid = outer_uid() or os.getuid()
    return UsernsFacts(
        rootless=True, outer_uid=uid, outer_gid=_outer_gid(), ns_uids=ns_size("uid_map"),
        ns_gids=ns_size("gid_map"), subuids=subuids, subgids=subgids, existing=existing,
        containers=containers,
    )


def ns_size(name: str) -> int:
    try:
        with open(f"/proc/self/{name}", encoding="ascii") as f:
            return sum(int(line.split()[2]) for line in f if len(line.split()) == 3)
    except (OSError, ValueError):
        return 0


def _outer_gid() -> int:
    """The user's gid outside: the gid_map's line for 0 inside."""
    try:
        with open("/proc/self/gid_map", encoding="ascii") as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[0] == "0":
                    return int(parts[1])
    except (OSError, ValueError):
        pass
    return os.getgid()


# validation ------------------------------------------------------------------------------


def validate(opts: UsernsOptions, facts: UsernsFacts) -> Userns:
    maps_given = bool(opts.uidmap or opts.gidmap or opts.subuidname or opts.subgidname)
    if opts.userns and maps_given:
        raise UsageError("--userns and --uidmap/--gidmap/--subuidname/--subgidname are"
                         " mutually exclusive")
    if maps_given:
        return _explicit(opts, facts)
    value = opts.userns or ""
    mode, colon, rest = value.partition(":")
    if not value or value == "host":
        return Userns()
    if mode == "private" and not colon:
        raise UsageError("must provide at least one UID or GID mapping to configure a user"
                         " namespace")
    if mode == "auto":
        return _auto(rest if colon else "")
    if mode == "keep-id":
        return _keep_id(rest if colon else "", facts)
    if mode == "nomap" and not colon:
        if not facts.rootless:
            raise UsageError("nomap is only supported in rootless mode")
        return Userns("nomap", uid_map=(IdRange(0, 1, max(facts.ns_uids - 1, 0)),),
                      gid_map=(IdRange(0, 1, max(facts.ns_gids - 1, 0)),))
    if mode == "ns" and colon:
        if not rest:
            raise UsageError("invalid config provided: namespace mode ns requires a value")
        if rest not in facts.existing:
            raise UsageError(f"cannot find specified user namespace path: stat {rest}: no"
                             " such file or directory")
        return Userns("ns", rest)
    if mode == "container" and colon:
        return _container(rest, facts)
    raise UsageError(f"unrecognized namespace mode {value} passed")


def _explicit(opts: UsernsOptions, facts: UsernsFacts) -> Userns:
    uids = parse_maps(opts.uidmap, "UID")
    gids = parse_maps(opts.gidmap, "UID")  # (Podman 4.3 says UID for --gidmap too)
    for name, table in ((opts.subuidname, facts.subuids), (opts.subgidname, facts.subgids)):
        if name and not table.get(name):
            # (Podman 4.3 names /etc/subuid for --subgidname too)
            raise UsageError(f'no subuid ranges found for user "{name}" in {SUBUID}')
    if opts.subuidname:
        subs = _renumbered(facts.subuids[opts.subuidname])
        _no_overlap(subs, uids)
        uids += subs
    if opts.subgidname:
        subs = _renumbered(facts.subgids[opts.subgidname])
        _no_overlap(subs, gids)
        gids += subs
    elif opts.subuidname and not gids:
        gids = _renumbered(facts.subgids.get(opts.subuidname) or facts.subuids[opts.subuidname])
    # One map given: the other is the same (Podman's)
    return Userns("private", uid_map=tuple(uids or gids), gid_map=tuple(gids or uids))


def _renumbered(ranges: Iterable[IdRange]) -> list[IdRange]:
    out, inner = [], 0
    for r in ranges:
        out.append(IdRange(inner, r.host, r.size))
        inner += r.size
    return out


def _no_overlap(subs: list[IdRange], given: list[IdRange]) -> None:
    for g in given:
        for s in subs:
            if g.container < s.container + s.size and s.container < g.container + g.size:
                raise UsageError(f"creating container storage: the specified UID and/or GID"
                                 f" mapping {g.text()} conflicts with other mappings: invalid"
                                 " mappings specified")


def parse_maps(values: Sequence[str], kind: str) -> list[IdRange]:
    """`--uidmap`'s CONTAINER:HOST:SIZE triples (repeated or comma-separated)."""
    items = [part for v in values for part in v.split(",") if part]
    out = []
    for item in items:
        parts = item.split(":")
        if len(parts) != 3 or not all(p.isdigit() and int(p) < 1 << 32 for p in parts):
            quoted = " ".join(f'"{i}"' for i in items)
            raise UsageError(f'initializing ID mappings: {kind} setting is malformed expected'
                             f' ["uint32:uint32:uint32"]: [{quoted}]')
        out.append(IdRange(*(int(p) for p in parts)))
    return out


def _options(text: str) -> list[tuple[str, str]]:
    return [(k, v) for k, _, v in (o.partition("=") for o in text.split(",") if o)]


def _auto(text: str) -> Userns:
    size, uids, gids = 0, [], []
    for key, value in _options(text):
        if key == "size":
            size = _uint(value)
        elif key == "uidmapping":
            uids += _auto_maps(value, "UID")
        elif key == "gidmapping":
            gids += _auto_maps(value, "GID")
        else:
            raise UsageError(f'unknown option specified: "{key}"')
    return Userns("auto", auto_size=size, auto_uid=tuple(uids), auto_gid=tuple(gids))


def _auto_maps(value: str, kind: str) -> list[IdRange]:
    try:
        return parse_maps([value], kind)
    except UsageError as exc:
        raise UsageError(f"failed to create ParseUIDMap {kind}=[{value}]: {exc}") from None


def _uint(value: str) -> int:
    if not value.isdigit() or int(value) >= 1 << 32:
        raise UsageError(f'strconv.ParseUint: parsing "{value}": invalid syntax')
    return int(value)


def _keep_id(text: str, facts: UsernsFacts) -> Userns:
    if not facts.rootless:
        raise UsageError("keep-id is only supported in rootless mode")
    uid, gid = facts.outer_uid, facts.outer_gid
    for key, value in _options(text):
        if key == "uid":
            uid = _uint(value)
        elif key == "gid":
            gid = _uint(value)
        else:
            raise UsageError(f'unknown option specified: "{key}"')
    return Userns("keep-id", uid_map=keep_id_map(uid, facts.ns_uids),
                  gid_map=keep_id_map(gid, facts.ns_gids), user=f"{uid}:{gid}")


def keep_id_map(inner: int, ns_size: int) -> tuple[IdRange, ...]:
    """The user (0 of the user's namespace) is `inner` inside; the sub-ids fill the rest
    around it, in order (Podman's keep-id)."""
    out = [IdRange(inner, 0, 1)]
    subs = ns_size - 1
    below = min(inner, subs)
    if below:
        out.append(IdRange(0, 1, below))
    if subs > below:
        out.append(IdRange(inner + 1, 1 + below, subs - below))
    return tuple(out)


def _container(ref: str, facts: UsernsFacts) -> Userns:
    if not ref:
        raise UsageError("invalid config provided: namespace mode container requires a value")
    found = facts.containers.get(ref)
    if found is None:
        err = NotFoundError("container", ref)
        raise UsageError(f"looking up container to share user namespace with: {err}")
    cid, other = found
    return Userns("container", cid, other.uid_map, other.gid_map)


# --userns=auto ---------------------------------------------------------------------------


def allocate(userns: Userns, taken: Iterable[Userns], available: Sequence[IdRange],
             image_size: int) -> Userns:
    """The first free range of `available` (host ids) big enough: ranges other containers'
    maps hold are skipped (containers/storage's auto allocation). `image_size`: one more
    than the highest id the image's files use."""
    size = userns.auto_size or min(max(AUTO_MIN_SIZE, image_size), AUTO_MAX_SIZE)
    forced = [*userns.auto_uid, *userns.auto_gid]
    busy = sorted((r.host, r.host + r.size) for u in taken for r in (*u.uid_map, *u.gid_map))
    busy += [(r.host, r.host + r.size) for r in forced]
    busy.sort()
    start = _free(available, busy, size - _covered(userns.auto_uid, size))
    if start is None:
        raise UsageError("creating container storage: could not find enough available IDs")
    uid_map = _fill(start, size, userns.auto_uid)
    gid_map = _fill(start, size, userns.auto_gid)
    return Userns("auto", uid_map=uid_map, gid_map=gid_map, auto_size=userns.auto_size,
                  auto_uid=userns.auto_uid, auto_gid=userns.auto_gid)


def _covered(forced: Sequence[IdRange], size: int) -> int:
    return sum(max(0, min(r.container + r.size, size) - r.container) for r in forced)


def _free(available: Sequence[IdRange], busy: list[tuple[int, int]], need: int) -> int | None:
    for r in available:
        pos, end = r.host, r.host + r.size
        for b_start, b_end in busy:
            if b_end <= pos or b_start >= end:
                continue
            if b_start - pos >= need:
                return pos
            pos = max(pos, b_end)
        if end - pos >= need:
            return pos
    return None


def _fill(start: int, size: int, forced: Sequence[IdRange]) -> tuple[IdRange, ...]:
    """Container ids 0..size-1 from `start` on, except those `forced` maps elsewhere."""
    out: list[IdRange] = []
    inner, host = 0, start
    for r in sorted(forced):
        if r.container > inner:
            out.append(IdRange(inner, host, min(r.container, size) - inner))
            host += min(r.container, size) - inner
        inner = max(inner, r.container + r.size)
    if inner < size:
        out.append(IdRange(inner, host, size - inner))
    return (*out, *forced)


def auto_ranges(rootless: bool, ns_size: int) -> tuple[IdRange, ...]:
    """Where auto ranges come from: the `containers` user's /etc/subuid ranges as root, the
    user's namespace (but its 0, the user) when rootless."""
    if rootless:
        return (IdRange(0, 1, ns_size - 1),) if ns_size > 1 else ()
    from supervisor.rootless.subids import read

    return tuple(IdRange(0, r.start, r.size) for r in read(SUBUID, AUTO_USER, -1))


def image_id_size(layer_dirs: Iterable[str]) -> int:
    """One more than the highest uid or gid of the image's files."""
    top = 0
    for layer in layer_dirs:
        for dirpath, dirnames, filenames in os.walk(layer):
            for name in (*dirnames, *filenames, ""):
                try:
                    st = os.lstat(os.path.join(dirpath, name) if name else dirpath)
                except OSError:
                    continue
                top = max(top, st.st_uid, st.st_gid)
    return top + 1


# the runtime config ---------------------------------------------------------------------------


def map_id(ranges: Sequence[IdRange], inner: int) -> int:
    for r in ranges:
        if r.container <= inner < r.container + r.size:
            return r.host + inner - r.container
    return inner


def unmap_id(ranges: Sequence[IdRange], outer: int) -> int:
    for r in ranges:
        if r.host <= outer < r.host + r.size:
            return r.container + outer - r.host
    return outer


def apply(spec: dict[str, Any], userns: Userns, ns_path: Callable[[str], str],
          ns_maps: Callable[[str], tuple[list[IdRange], list[IdRange]]] | None = None) -> None:
    """The user namespace into an OCI config (pure but `ns_path(cid)`, another running
    container's /proc/PID/ns/user, and `ns_maps(path)`, the maps of a namespace file)."""
    if not userns.private:
        return
    linux = spec["linux"]
    entry: dict[str, str] = {"type": "user"}
    uids, gids = list(userns.uid_map), list(userns.gid_map)
    if userns.mode == "ns":
        entry["path"] = userns.target
        uids, gids = (ns_maps or read_ns_maps)(userns.target)
    elif userns.mode == "container":
        entry["path"] = ns_path(userns.target)
    linux["namespaces"] = [*linux["namespaces"], entry]
    # runc 1.1 wants the maps of a namespace it joins too (it checks them against it)
    linux["uidMappings"] = [_oci(r) for r in uids]
    linux["gidMappings"] = [_oci(r) for r in gids]
    # sysfs cannot be mounted in a user namespace sharing the host's network namespace
    if not any(n["type"] == "network" for n in linux["namespaces"]):
        for m in spec["mounts"]:
            if m["destination"] == "/sys" and m["type"] == "sysfs":
                m.update(type="bind", source="/sys", options=["rbind", "nosuid", "noexec",
                                                              "nodev", "ro"])


def read_ns_maps(path: str) -> tuple[list[IdRange], list[IdRange]]:
    """A user namespace file's uid and gid maps, as a child that joined it reads them (its
    own maps are shown relative to the parent namespace, ours)."""
    import ctypes

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child writes and exits
        try:
            os.close(r)
            fd = os.open(path, os.O_RDONLY)
            if ctypes.CDLL(None, use_errno=True).setns(fd, 0x10000000) == 0:
                for name in ("uid_map", "gid_map"):
                    with open(f"/proc/self/{name}", "rb") as f:
                        os.write(w, f.read() + b"-\n")
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read().decode("ascii", "replace")
    os.waitpid(pid, 0)
    parts = data.split("-\n")
    if len(parts) < 2:
        from supervisor.errors import CommandCannotRun

        raise CommandCannotRun(f"cannot join the user namespace {path!r}")
    return _parse_map(parts[0]), _parse_map(parts[1])


def _parse_map(text: str) -> list[IdRange]:
    return [IdRange(*(int(p) for p in line.split())) for line in text.splitlines()
            if len(line.split()) == 3]


def _oci(r: IdRange) -> dict[str, int]:
    return {"containerID": r.container, "hostID": r.host, "size": r.size}


# inspect ------------------------------------------------------------------------------------


def host_config(userns: Userns) -> dict[str, Any]:
    """Podman 4.3's HostConfig keys."""
    maps = None
    if userns.uid_map or userns.gid_map:
        maps = {"UidMap": [r.text() for r in userns.uid_map],
                "GidMap": [r.text() for r in userns.gid_map]}
    return {"UsernsMode": userns.mode_text(), "IDMappings": maps}
