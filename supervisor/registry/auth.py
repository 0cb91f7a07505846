"""Credentials in the files Podman and Docker share: `{"auths": {"host[/repo]": {"auth": b64}}}`.

Read from `--authfile`, else `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`
(`/run/containers/<uid>/auth.json` without XDG_RUNTIME_DIR, as Podman does for root), with
`~/.docker/config.json` as read-only fallback. `login` and `logout` write only the first file.
The most specific key wins (`host/ns/repo`, then `host/ns`, then `host`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from supervisor.errors import UsageError


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    @classmethod
    def parse(cls, text: str) -> Credentials:
        """`--creds user[:password]` (an empty password is allowed, as in Podman)."""
        user, _, password = text.partition(":")
        if not user:
            raise UsageError("--creds: the username must not be empty")
        return cls(user, password)


def auth_file(explicit: str | None = None) -> str:
    if explicit:
        return explicit
    env = os.environ.get("REGISTRY_AUTH_FILE")
    if env:
        return env
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "containers", "auth.json")
    from supervisor import rootless

    uid = rootless.outer_uid()  # inside the user's namespace getuid() is 0: not root's file
    if uid is not None:  # rootless (issue 17): in the run dir's /tmp fallback, as Podman's
        return os.path.join(rootless.runtime_dir({}, uid), "containers", "auth.json")
    return f"/run/containers/{os.getuid()}/auth.json"


def docker_config() -> str:
    base = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return os.path.join(base, "config.json")


def normalize_key(key: str) -> str:
    """Docker writes `https://index.docker.io/v1/`; Podman writes `docker.io`."""
    if "://" in key:
        key = key.split("://", 1)[1].split("/", 1)[0]
    key = key.rstrip("/")
    host, sep, rest = key.partition("/")
    if host in ("index.docker.io", "registry-1.docker.io"):
        host = "docker.io"
    return host + sep + rest


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read credentials from {path!r}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"cannot read credentials from {path!r}: not a JSON object")
    return data


def _auths(data: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    auths = data.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if isinstance(entry, dict) and isinstance(entry.get("auth"), str):
                out[normalize_key(key)] = entry["auth"]
    return out


def _decode(key: str, blob: str, path: str) -> Credentials:
    try:
        user, sep, password = base64.b64decode(blob, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise UsageError(f"malformed credentials for {key!r} in {path!r}") from exc
    if not sep:
        raise UsageError(f"malformed credentials for {key!r} in {path!r}")
    return Credentials(user, password)


def _candidates(repository: str) -> list[str]:
    """`host/a/b` -> [`host/a/b`, `host/a`, `host`]."""
    parts = repository.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def lookup(repository: str, authfile: str | None = None) -> Credentials | None:
    """Credentials for `domain/path` (or a bare domain), or None."""
    for path in (auth_file(authfile), docker_config()):
        auths = _auths(_read(path))
        for key in _candidates(normalize_key(repository)):
            if key in auths:
                return _decode(key, auths[key], path)
    return None


def in_docker_config_only(key: str, authfile: str | None) -> bool:
    return key not in _auths(_read(auth_file(authfile))) and key in _auths(_read(docker_config()))


def store(key: str, creds: Credentials, authfile: str | None = None) -> str:
    """Save (atomically, mode 0600, other entries kept); returns the file written."""
    path = auth_file(authfile)
    data = _read(path)
    auths = data.get("auths") if isinstance(data.get("auths"), dict) else {}
    assert isinstance(auths, dict)
    blob = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
    auths[normalize_key(key)] = {"auth": blob}
    data["auths"] = auths
    _write(path, data)
    return path


def remove(key: str | None, authfile: str | None = None) -> bool:
    """Remove one key (or all with None); False if there was nothing to remove."""
    path = auth_file(authfile)
    data = _read(path)
    auths = data.get("auths")
    if not isinstance(auths, dict) or not auths:
        return False
    if key is None:
        data["auths"] = {}
    else:
        found = [k for k in auths if normalize_key(k) == normalize_key(key)]
        if not found:
            return False
        for k in found:
            del auths[k]
    _write(path, data)
    return True


def _write(path: str, data: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".auth-")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent="\t")
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
