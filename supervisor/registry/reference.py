"""Image references as registries know them: `[domain/]path[:tag][@digest]` (pure).

Docker's grammar: the first component is a domain when it has a `.` or `:` or is `localhost`;
`docker.io` repositories without a namespace live under `library/`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supervisor.errors import UsageError

DOCKER_HUB = "docker.io"
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_DOMAIN = re.compile(r"(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?")


@dataclass(frozen=True)
class Reference:
    """A fully qualified reference: `domain` is always set; tag or digest (or both)."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.domain}/{self.path}"

    @property
    def name(self) -> str:
        """What the local image is called: `domain/path:tag` (tag `latest` if only a digest
        was given is not invented: pull by digest gives no name, as in Podman)."""
        return f"{self.repository}:{self.tag}" if self.tag else self.repository

    def __str__(self) -> str:
        out = self.repository
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out

    @property
    def manifest_ref(self) -> str:
        """What to ask the registry for: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"


@dataclass(frozen=True)
class Parsed:
    """A reference as the user typed it, before short-name resolution."""

    domain: str | None
    path: str
    tag: str | None
    digest: str | None

    def qualify(self, domain: str) -> Reference:
        path = self.path
        if domain == DOCKER_HUB and "/" not in path:
            path = f"library/{path}"
        tag = self.tag if self.tag or self.digest else "latest"
        return Reference(domain, path, tag, self.digest)

    @property
    def short(self) -> str:
        """The name without tag or digest (what registries.conf aliases are keyed by)."""
        return self.path


def parse(text: str) -> Parsed:
    """Split and validate; raise UsageError with the user's text on anything malformed."""
    ref = text.strip()
    bad = UsageError(f"invalid image reference {text!r}")
    if not ref or any(c.isspace() for c in ref):
        raise bad
    name, _, digest = ref.partition("@")
    if digest and not _DIGEST.fullmatch(digest):
        raise UsageError(f"invalid image reference {text!r}: malformed digest")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, _, tag = name.rpartition(":")
        if not _TAG.fullmatch(tag):
            raise bad
    domain: str | None = None
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        if not _DOMAIN.fullmatch(first):
            raise bad
        domain, name = first, rest
    if domain == "index.docker.io":
        domain = DOCKER_HUB
    if not name or not all(_COMPONENT.fullmatch(c) for c in name.split("/")):
        raise bad
    return Parsed(domain, name, tag, digest or None)


def registry_host(domain: str) -> str:
    """The host serving a domain's API (Docker Hub's API is not at docker.io)."""
    return "registry-1.docker.io" if domain == DOCKER_HUB else domain
