"""Registries: pull, push, login, logout."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from supervisor.api import session
from supervisor.errors import AuthError, UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.registry.auth import Credentials as Credentials  # a request's part
    from supervisor.registry.progress import Progress
    from supervisor.registry.search import Found


@dataclass(frozen=True)
class RegistryOptions:
    tls_verify: bool | None = None  # None: HTTPS unless registries.conf marks it insecure
    creds: Credentials | None = None
    authfile: str | None = None
    cert_dir: str | None = None  # None: certs.d/HOST


def credentials(text: str) -> Credentials:
    """`--creds user[:password]`."""
    from supervisor.registry.auth import Credentials

    return Credentials.parse(text)


def new_credentials(username: str, password: str) -> Credentials:
    from supervisor.registry.auth import Credentials

    return Credentials(username, password)


def pull(
    settings: Settings, ref: str, platform: str | None, opts: RegistryOptions, progress: Progress
) -> str:
    """The pulled image's id."""
    from supervisor.registry.pull import PullOptions
    from supervisor.registry.pull import pull as pull_image

    if ref.startswith(ARCHIVE_TRANSPORTS):
        return _pull_archive(settings, ref)

    popts = PullOptions(ref, platform, opts.tls_verify, opts.creds, opts.authfile,
                        opts.cert_dir)
    with session(settings) as eng:
        image_id = pull_image(eng.store, popts, progress).image.id
        from supervisor.events.write import other  # events (issue 14)

        other(settings, eng.paths, "image", "pull", id=image_id, name=ref)
        return image_id


ARCHIVE_TRANSPORTS = ("docker-archive:", "oci-archive:")


def _pull_archive(settings: Settings, ref: str) -> str:
    """`pull docker-archive:PATH` (or oci-archive:): Podman's way to load one image by a
    transport name, recorded as a `pull` of that name."""
    from supervisor import archive

    path = ref.partition(":")[2]
    if not path:
        raise UsageError(f"invalid image reference {ref!r}: the archive's path is missing")
    if not os.path.exists(path) and ":" in path:
        raise UsageError(f"{ref}: choosing an image of an archive by name is not supported;"
                         " use load -i to load all of them")  # fmt: skip
    with session(settings) as eng:
        loaded = archive.load(eng.store, path)
        if not loaded:
            raise UsageError(f"{ref}: the archive holds no image")
        from supervisor.events.write import other  # events (issue 14)

        # Podman's event: no id, the reference as typed
        other(settings, eng.paths, "image", "pull", name=ref)
        return loaded[0].image.id


def platform_of(platform: str | None, os: str | None, arch: str | None,
                variant: str | None) -> str | None:
    """`--platform`, or `--os/--arch/--variant` over the host's: one `os/arch[/variant]`."""
    from supervisor.registry.platform import Platform

    return Platform.chosen(platform, os, arch, variant)


def tags(settings: Settings, ref: str, opts: RegistryOptions) -> list[str]:
    """`pull --all-tags`: `REPOSITORY:TAG` of each tag of `ref`'s repository (any tag or
    digest in `ref` is dropped, as Podman 4.3 does)."""
    from supervisor.registry.pull import PullOptions, tags_of

    with session(settings):  # the root check and the errors' mapping
        repo, found = tags_of(PullOptions(ref, None, opts.tls_verify, opts.creds,
                                          opts.authfile, opts.cert_dir))
    return [f"{repo.repository}:{tag}" for tag in found]


def search(settings: Settings, term: str, opts: RegistryOptions, limit: int,
           list_tags: bool = False) -> list[Found]:  # fmt: skip
    """`search TERM`: the repositories whose name holds the term (a registry's catalog), or
    with `list_tags` the tags of the repository TERM names."""
    from supervisor.registry import search as registry_search

    find = registry_search.list_tags if list_tags else registry_search.search
    with session(settings):  # the root check and the errors' mapping
        return find(term, opts.tls_verify, opts.creds, opts.authfile, limit)


def push(
    settings: Settings, ref: str, destination: str | None, opts: RegistryOptions,
    progress: Progress, format: str | None = None,
) -> str:
    """The pushed manifest's digest; `format`: push's --format (oci, v2s2), checked against
    the stored manifest's type."""
    from supervisor.images import resolve
    from supervisor.registry.push import PushOptions
    from supervisor.registry.push import push as push_image

    popts = PushOptions(ref, destination, opts.tls_verify, opts.creds, opts.authfile,
                        cert_dir=opts.cert_dir, format=format)
    with session(settings) as eng:
        image_id = resolve(eng.store, ref).id
        if destination is not None and destination.startswith("dir:"):
            from supervisor.dirtransport import push_dir

            digest = push_dir(eng.store, ref, destination[len("dir:"):], progress, format)
        else:
            digest = push_image(eng.store, popts, progress)
        from supervisor.events.write import other  # events (issue 14)

        # Podman's event: the image's id and the destination as typed (`dir:/path`)
        other(settings, eng.paths, "image", "push", id=image_id, name=destination or ref)
        return digest


def login_key(registry: str) -> str:
    from supervisor.registry import auth

    return auth.normalize_key(registry)


def stored_login(registry: str, authfile: str | None) -> str:
    """`login --get-login`: the user name stored for the registry."""
    from supervisor.registry import auth

    key = auth.normalize_key(registry)
    found = auth.lookup(key, authfile)
    if found is None:
        raise AuthError(f"not logged into {key}")
    return found.username


def login(registry: str, creds: Credentials, opts: RegistryOptions) -> str:
    """Check the credentials with the registry and store them; the auth file's path."""
    from supervisor.registry import auth, conf
    from supervisor.registry.client import Session

    key = auth.normalize_key(registry)
    domain = key.split("/", 1)[0]
    insecure = conf.load().insecure(domain) if opts.tls_verify is None else not opts.tls_verify
    client = Session(domain, insecure, creds, cert_dir=opts.cert_dir)
    try:
        client.verify_login()
    finally:
        client.close()
    return auth.store(key, creds, opts.authfile)


def logout(registry: str | None, authfile: str | None) -> str:
    """Remove the stored credentials of one registry (None: of all); what was removed."""
    from supervisor.registry import auth

    if registry is None:
        auth.remove(None, authfile)
        return "all registries"
    key = auth.normalize_key(registry)
    if not auth.remove(key, authfile):
        if auth.in_docker_config_only(key, authfile):
            raise AuthError(
                f"not logged into {key} with scopebox; the credentials in"
                f" {auth.docker_config()} were made by docker login: use docker logout"
            )
        raise AuthError(f"not logged into {key}")
    return key


def search_filter(items: list[str]) -> Callable[[dict[str, Any]], bool]:
    """Podman's search filters (its words): a result is kept when it passes each."""
    tests: list[Callable[[dict[str, Any]], bool]] = []
    for item in items:
        key, eq, value = item.partition("=")
        if key == "stars":
            try:
                tests.append(partial(_stars, least=int(value)))
            except ValueError:
                raise UsageError("incorrect value type for stars filter: strconv.Atoi: parsing"
                                 f' "{value}": invalid syntax') from None  # fmt: skip
        elif key in ("is-official", "is-automated"):
            field = "Official" if key == "is-official" else "Automated"
            want = value.lower() in ("true", "1") if eq and value else True
            tests.append(partial(_flagged, field=field, want=want))
        else:
            raise UsageError(f'invalid filter type "{item}"')
    return lambda it: all(test(it) for test in tests)


def _stars(it: dict[str, Any], least: int) -> bool:
    return bool(it["Stars"] >= least)


def _flagged(it: dict[str, Any], field: str, want: bool) -> bool:
    return bool(it[field] == "[OK]") == want
