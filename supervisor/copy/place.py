"""Where a copy lands: Docker's and Podman's rules for `cp`, as pure functions.

| source      | DEST missing (parent must exist) | DEST a file | DEST a directory          |
|-------------|----------------------------------|-------------|---------------------------|
| file        | written as DEST (`DEST/`: error) | overwritten | DEST/<name>               |
| dir         | made as DEST with its content    | error       | DEST/<name>               |
| dir/. or /  | made as DEST with the content    | error       | content merged into DEST  |
| `-` (a tar) | error                            | error       | entries extracted in DEST |
"""

from __future__ import annotations

from dataclasses import dataclass

from supervisor.errors import ScopeboxError

HOST = ""  # the `where` of a host path


@dataclass(frozen=True)
class Endpoint:
    """One side of `cp`: a container's path, a host path or `-` (a tar on stdin/stdout)."""

    container: str | None  # name or id; None for the host
    path: str

    @property
    def is_stream(self) -> bool:
        return self.container is None and self.path == "-"


class PlaceError(ScopeboxError):
    """A copy refused (Podman's wording where it has one)."""


def parse_endpoint(arg: str) -> Endpoint:
    """`CONTAINER:PATH`, or a host path (a colon in one needs a `/` or `.` first, as Podman's)."""
    if arg.startswith(("/", ".")) or ":" not in arg:
        return Endpoint(None, arg)
    name, _, path = arg.partition(":")
    return Endpoint(name, path)


def container_path(path: str) -> str:
    """Container paths are relative to its root: `tmp/x` is `/tmp/x`."""
    return path if path.startswith("/") else "/" + path


def contents_only(path: str) -> bool:
    """`dir/.` (and the root itself) copies a directory's content, not the directory."""
    return path.endswith("/.") or path == "." or path.rstrip("/") == ""


def source_name(path: str) -> str:
    """The name the copied entry gets in the archive: its base name, or `.` for content."""
    if contents_only(path):
        return "."
    return path.rstrip("/").rpartition("/")[2] or "."


def not_found(path: str, where: str) -> PlaceError:
    place = "the host" if where == HOST else f"container {where}"
    return PlaceError(f'"{path}" could not be found on {place}: no such file or directory')


@dataclass(frozen=True)
class Target:
    """Where the archive's top entry goes: `parent/name`, or (name "") into `parent` itself."""

    parent: str
    name: str


def place(
    dest: str, dest_kind: str | None, src_kind: str | None, src_name: str, where: str
) -> Target:
    """The target of a copy. `dest_kind`: "dir", "file" (anything not a directory) or None
    (missing: then the caller checked its parent exists, else raises `not_found` itself);
    `src_kind` None means a tar stream (`-`); `src_name` is `source_name` of the source."""
    if src_kind is None:
        if dest_kind is None and dest.endswith("/"):  # as Podman's: a missing dir/ is not found
            raise not_found(dest, where)
        if dest_kind != "dir":
            raise PlaceError("destination must be a directory when copying from stdin")
        return Target(dest, "")
    if dest_kind == "dir":
        return Target(dest, "") if src_name == "." else Target(dest, src_name)
    if dest_kind == "file":
        if src_kind == "dir":
            raise PlaceError("destination must be a directory when copying a directory")
        return _split(dest)
    if dest.endswith("/"):
        raise not_found(dest, where)
    return _split(dest)


def _split(dest: str) -> Target:
    stripped = dest.rstrip("/") or "/"
    parent, _, name = stripped.rpartition("/")
    return Target(parent or ("/" if stripped.startswith("/") else "."), name)
