"""The file driver's data: `<path>/<id>`, mode 0600 in a 0700 directory (`path` is the
driver's option, by default `$ROOT/secrets/filedriver`). Written to a temporary file and
renamed, so a reader never sees half of it."""

from __future__ import annotations

import os

from supervisor.errors import SystemError_


def default_dir(root: str) -> str:
    return os.path.join(root, "secrets", "filedriver")


def write(directory: str, sid: str, data: bytes) -> None:
    try:
        parent = os.path.dirname(directory.rstrip("/"))
        if not os.path.isdir(parent):  # $ROOT/secrets: 0700 too, as Podman's
            os.makedirs(parent, mode=0o700)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.chmod(directory, 0o700)
        tmp = os.path.join(directory, f".{sid}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, os.path.join(directory, sid))
    except OSError as exc:
        raise SystemError_(f"cannot store the secret's data in {directory!r}:"
                           f" {exc.strerror}") from exc


def read(directory: str, sid: str) -> bytes:
    try:
        fd = os.open(os.path.join(directory, sid), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SystemError_(f"cannot read the data of secret {sid}: {exc.strerror}") from exc
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def remove(directory: str, sid: str) -> None:
    try:
        os.unlink(os.path.join(directory, sid))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise SystemError_(f"cannot remove the data of secret {sid}: {exc.strerror}") from exc
