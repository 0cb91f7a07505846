"""`registries.conf` (v2 TOML) as Podman reads it: search registries, aliases, per-registry
rewriting (prefix -> location), insecure, blocked and mirrors.

The file is `$SCOPEBOX_REGISTRIES_CONF`, else `$CONTAINERS_REGISTRIES_CONF`, else
`/etc/containers/registries.conf` plus its `registries.conf.d/*.conf` drop-ins (applied in name
order: a later file's aliases and `[[registry]]` entries win, its search list replaces); for a
rootless user `~/.config/containers/registries.conf` replaces the system's file when it exists,
and its `.d` drop-ins come after the system's. Parsing
is pure (`Config.from_tables`); only `load` reads files.
"""

from __future__ import annotations

import glob
import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

from supervisor.errors import UsageError
from supervisor.registry.reference import Parsed, Reference, parse

DEFAULT_PATH = "/etc/containers/registries.conf"


@dataclass(frozen=True)
class Endpoint:
    """One place to try: a rewritten reference and whether TLS may be skipped."""

    ref: Reference
    insecure: bool
    mirror: bool = False


@dataclass(frozen=True)
class Mirror:
    location: str
    insecure: bool = False
    pull_from_mirror: str = "all"  # all | digest-only | tag-only


@dataclass(frozen=True)
class Registry:
    prefix: str
    location: str
    insecure: bool = False
    blocked: bool = False
    mirror_by_digest_only: bool = False
    mirrors: tuple[Mirror, ...] = ()

    def matches(self, repo: str) -> bool:
        if self.prefix.startswith("*."):
            host = repo.split("/", 1)[0]
            return host.endswith(self.prefix[1:])
        if not repo.startswith(self.prefix):
            return False
        return len(repo) == len(self.prefix) or repo[len(self.prefix)] in "/:@"

    def rewrite(self, ref: Reference, location: str) -> Reference:
        if self.prefix.startswith("*."):
            return ref
        full = ref.repository
        new = location + full[len(self.prefix) :]
        domain, _, path = new.partition("/")
        return Reference(domain, path, ref.tag, ref.digest)


@dataclass(frozen=True)
class Config:
    search: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    registries: tuple[Registry, ...] = ()

    @classmethod
    def from_tables(cls, tables: list[dict[str, Any]]) -> Config:
        """Merge parsed files in order (the main file first, then drop-ins)."""
        search: tuple[str, ...] = ()
        aliases: dict[str, str] = {}
        regs: dict[str, Registry] = {}
        for t in tables:
            if "unqualified-search-registries" in t:
                search = tuple(_strings(t["unqualified-search-registries"], "search registries"))
            for short, target in _table(t.get("aliases", {}), "aliases").items():
                aliases[short] = str(target)
            for entry in _list(t.get("registry", []), "[[registry]]"):
                reg = _registry(entry)
                regs[reg.prefix] = reg
        return cls(search, aliases, tuple(regs.values()))

    def find(self, repo: str) -> Registry | None:
        """The `[[registry]]` whose prefix is the longest match (Podman's rule)."""
        hits = [r for r in self.registries if r.matches(repo)]
        return max(hits, key=lambda r: len(r.prefix)) if hits else None

    def insecure(self, domain: str) -> bool:
        reg = self.find(domain)
        return reg.insecure if reg is not None else False

    def candidates(self, parsed: Parsed) -> list[Reference]:
        """Fully qualified names a user's reference may mean, in the order to try them."""
        if parsed.domain is not None:
            return [parsed.qualify(parsed.domain)]
        alias = self.aliases.get(parsed.short)
        if alias is not None:
            target = parse(alias)
            if target.domain is None:
                raise UsageError(f"alias {parsed.short!r} in registries.conf is not qualified")
            return [
                Parsed(target.domain, target.path, parsed.tag, parsed.digest).qualify(target.domain)
            ]
        if not self.search:
            raise UsageError(
                f"short-name {parsed.path!r} did not resolve to an alias and no"
                " unqualified-search registries are defined in registries.conf"
            )
        return [parsed.qualify(domain) for domain in self.search]

    def endpoints(self, ref: Reference, tls_verify: bool | None = None) -> list[Endpoint]:
        """Mirrors first, then the (possibly rewritten) primary location. Blocked: refused."""
        reg = self.find(ref.repository)
        if reg is None:
            return [Endpoint(ref, insecure=tls_verify is False)]
        if reg.blocked:
            raise UsageError(f"registry {reg.prefix!r} is blocked in registries.conf")
        out: list[Endpoint] = []
        for m in reg.mirrors:
            allowed = m.pull_from_mirror
            if reg.mirror_by_digest_only:
                allowed = "digest-only"
            if (allowed == "digest-only" and not ref.digest) or (
                allowed == "tag-only" and ref.digest
            ):
                continue
            insecure = m.insecure if tls_verify is None else not tls_verify
            out.append(Endpoint(reg.rewrite(ref, m.location), insecure, mirror=True))
        insecure = reg.insecure if tls_verify is None else not tls_verify
        out.append(Endpoint(reg.rewrite(ref, reg.location), insecure))
        return out


def _registry(entry: object) -> Registry:
    e = _table(entry, "[[registry]]")
    location = str(e.get("location", ""))
    prefix = str(e.get("prefix", "") or location)
    if not prefix:
        raise UsageError("registries.conf: a [[registry]] needs a location or a prefix")
    mirrors = tuple(
        Mirror(
            str(_table(m, "[[registry.mirror]]")["location"]),
            bool(m.get("insecure", False)),
            str(m.get("pull-from-mirror", "all") or "all"),
        )
        for m in _list(e.get("mirror", []), "[[registry.mirror]]")
    )
    return Registry(
        prefix=prefix,
        location=location or prefix,
        insecure=bool(e.get("insecure", False)),
        blocked=bool(e.get("blocked", False)),
        mirror_by_digest_only=bool(e.get("mirror-by-digest-only", False)),
        mirrors=mirrors,
    )


def _table(v: object, what: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise UsageError(f"registries.conf: {what} must be a table")
    return v


def _list(v: object, what: str) -> list[Any]:
    if not isinstance(v, list):
        raise UsageError(f"registries.conf: {what} must be a list")
    return v


def _strings(v: object, what: str) -> list[str]:
    return [str(x) for x in _list(v, what)]


def conf_files() -> list[str]:
    for var in ("SCOPEBOX_REGISTRIES_CONF", "CONTAINERS_REGISTRIES_CONF"):
        path = os.environ.get(var)
        if path:
            return [path]
    main, dropins = DEFAULT_PATH, sorted(glob.glob(DEFAULT_PATH + ".d/*.conf"))
    from supervisor.settings import user_config_dir

    user = user_config_dir(os.environ)
    if user is not None:  # rootless (issue 17): containers-registries.conf(5)'s user files
        mine = os.path.join(user, "registries.conf")
        if os.path.exists(mine):  # used instead of the system's
            main = mine
        dropins += sorted(glob.glob(mine + ".d/*.conf"))
    return [main, *dropins] if os.path.exists(main) else dropins


def load(files: list[str] | None = None) -> Config:
    tables = []
    for path in conf_files() if files is None else files:
        try:
            with open(path, "rb") as f:
                tables.append(tomllib.load(f))
        except FileNotFoundError:
            continue
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"cannot parse {path!r}: {exc}") from exc
    return Config.from_tables(tables)
