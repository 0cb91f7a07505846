"""`search`: repositories of a registry whose name holds a term (the v2 catalog, as Podman
4.3 searches any registry but Docker Hub), or the tags of one repository (`--list-tags`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from supervisor.errors import RegistryError, UsageError
from supervisor.registry import auth, conf
from supervisor.registry.client import Repository, Session

PAGE = 1000  # repositories asked per catalog page


class Found(NamedTuple):
    """Podman's search result fields (the v2 API has no description, stars or flags)."""

    Index: str
    Name: str
    Description: str = ""
    Stars: int = 0
    Official: str = ""
    Automated: str = ""
    Tag: str = ""


def split_term(term: str) -> tuple[str | None, str]:
    """`HOST/query` names a registry (its first part has a dot or a colon, or is localhost);
    otherwise the unqualified-search registries are searched for the whole term."""
    first, slash, rest = term.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return None, term


def search(term: str, tls_verify: bool | None, creds: auth.Credentials | None,
           authfile: str | None, limit: int) -> list[Found]:  # fmt: skip
    domain, query = split_term(term)
    cfg = conf.load()
    domains = [domain] if domain is not None else list(cfg.search)
    if not domains:
        raise UsageError("no registries to search: name one (HOST/TERM) or set"
                         " unqualified-search-registries in registries.conf")  # fmt: skip
    out: list[Found] = []
    errors: list[str] = []
    for dom in domains:
        try:
            with _session(dom, tls_verify, creds, authfile, cfg) as session:
                names = [n for n in _catalog(session) if query in n]
            out += [Found(dom, f"{dom}/{n}") for n in names[:limit]]
        except RegistryError as exc:
            errors.append(f'couldn\'t search registry "{dom}": {exc}')
    if errors and not out:
        raise RegistryError("; ".join(errors))
    return out


def list_tags(term: str, tls_verify: bool | None, creds: auth.Credentials | None,
              authfile: str | None, limit: int) -> list[Found]:  # fmt: skip
    """The tags of one repository: HOST/PATH, or PATH in each unqualified-search registry."""
    domain, path = split_term(term)
    path = path.split("@", 1)[0].split(":", 1)[0]
    cfg = conf.load()
    out: list[Found] = []
    for dom in [domain] if domain is not None else list(cfg.search):
        with _session(dom, tls_verify, creds, authfile, cfg) as session:
            try:
                tags = Repository(session, path).list_tags()
            except RegistryError as exc:
                raise RegistryError(f"getting repository tags: {exc}") from None
        out += [Found(dom, f"{dom}/{path}", Tag=t) for t in tags[:limit]]
    return out


@contextmanager
def _session(domain: str, tls_verify: bool | None, creds: auth.Credentials | None,
             authfile: str | None, cfg: conf.Config) -> Iterator[Session]:  # fmt: skip
    insecure = cfg.insecure(domain) if tls_verify is None else not tls_verify
    session = Session(domain, insecure, creds or auth.lookup(domain, authfile))
    try:
        yield session
    finally:
        session.close()


def _catalog(session: Session) -> list[str]:
    """`GET /v2/_catalog`, every page."""
    return session.pages(f"/v2/_catalog?n={PAGE}", "registry:catalog:*", "repositories",
                         "fetching the catalog", f"the catalog of {session.domain}")  # fmt: skip
