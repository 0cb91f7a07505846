"""mounts.conf (Podman's "subscriptions"): `HOST:CONTAINER` lines whose host files every
container gets, as a copy of its own (a write inside changes nothing on the host), e.g. a
host's secrets directory at /run/secrets. The file is the global --default-mounts-file, else
/etc/containers/mounts.conf, else /usr/share/containers/mounts.conf."""

from __future__ import annotations

import os
import posixpath
import shutil

DEFAULT_FILES = ("/etc/containers/mounts.conf", "/usr/share/containers/mounts.conf")


def parse(text: str) -> list[tuple[str, str]]:
    """The (host, container) pairs of a mounts.conf (`#` comments, blank lines skipped; a
    line without `:` is the same path on both sides, as Podman's)."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        host, _, ctr = line.partition(":")
        out.append((host, ctr or host))
    return out


def read(given: str | None) -> list[tuple[str, str]]:
    """The pairs of `given` (the flag's file), else of the first default file there is; a
    file that cannot be read gives none (Podman's)."""
    for path in (given,) if given else DEFAULT_FILES:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return parse(f.read())
        except OSError:
            continue
    return []


def prepare(pairs: list[tuple[str, str]], container_dir: str,
            taken: set[str]) -> list[tuple[str, str]]:  # fmt: skip
    """Copies each existing host path into the container's directory (afresh at each start)
    and returns (destination, copy) to bind; a destination the user mounts is left to that
    mount, and a host path that is missing is skipped (Podman's)."""
    out = []
    top = os.path.join(container_dir, "subscriptions")
    for n, (host, ctr) in enumerate(pairs):
        dest = posixpath.normpath(posixpath.join("/", ctr))
        if dest in taken or not os.path.exists(host):
            continue
        copy = os.path.join(top, str(n))
        if os.path.isdir(copy) and not os.path.islink(copy):
            shutil.rmtree(copy)
        elif os.path.lexists(copy):
            os.unlink(copy)
        os.makedirs(top, mode=0o700, exist_ok=True)
        if os.path.isdir(host):
            shutil.copytree(host, copy, symlinks=True)
        else:
            shutil.copy2(host, copy)
        out.append((dest, copy))
    return out
