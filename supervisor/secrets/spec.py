"""Pure: secret names and run/create's `--secret` option (Podman 4.3's rules and words)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from supervisor.errors import UsageError

MAX_SIZE = 512000  # Podman's: the data must be larger than 0 and less than this
_NAME = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?")
SECRETS_DIR = "/run/secrets"
DEFAULT_MODE = 0o444


@dataclass(frozen=True)
class SecretRef:
    """One `--secret` of a container: which secret (`id` resolved at create) and how."""

    name: str
    id: str = ""
    type: str = "mount"  # mount | env
    target: str = ""  # mount: a path (relative: under /run/secrets); env: the variable
    uid: int = 0
    gid: int = 0
    mode: int = DEFAULT_MODE

    @property
    def destination(self) -> str:
        """Where a mount-type secret appears in the container."""
        target = self.target or self.name
        return target if target.startswith("/") else f"{SECRETS_DIR}/{target}"

    @property
    def variable(self) -> str:
        return self.target or self.name


def validate_name(name: str) -> str:
    if _NAME.fullmatch(name) is None:
        raise UsageError("only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end"
                         f" character must be [a-zA-Z0-9]: {name}: invalid secret name")
    return name


def check_size(data: bytes) -> bytes:
    if not 0 < len(data) < MAX_SIZE:
        raise UsageError(f"secret data must be larger than 0 and less than {MAX_SIZE} bytes")
    return data


def parse(value: str) -> SecretRef:
    """`NAME[,source=][,type=mount|env][,target=][,uid=][,gid=][,mode=]` (the first item
    without `=` is the source)."""
    source, kind, target = "", "mount", ""
    ids: dict[str, int] = {}
    for i, item in enumerate(value.split(",")):
        key, eq, val = item.partition("=")
        if i == 0 and not eq:
            source = item
        elif key == "source":
            source = val
        elif key == "type":
            if val not in ("mount", "env"):
                raise _bad(f"type {val} is invalid")
            kind = val
        elif key == "target":
            target = val
        elif key in ("uid", "gid", "mode") and eq:
            ids[key] = _number(key, val)
        else:
            raise _bad(f"option {item} invalid")
    if kind == "env" and ids:
        raise _bad("UID, GID, Mode options cannot be set with secret type env")
    return SecretRef(source, "", kind, target, ids.get("uid", 0), ids.get("gid", 0),
                     ids.get("mode", DEFAULT_MODE))


def _number(key: str, value: str) -> int:
    try:
        n = int(value, 8 if key == "mode" else 10)
    except ValueError:
        n = -1
    if n < 0 or n > (0o7777 if key == "mode" else 2**32 - 1):
        raise _bad(f"{key.upper() if key != 'mode' else key} {value} invalid")
    return n


def _bad(message: str) -> UsageError:
    return UsageError(f"{message}: parsing secret")
