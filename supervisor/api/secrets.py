"""Secrets: options in, reports out (`secret create/ls/inspect/rm/exists`).

Definitions live in the store's `secrets` table (`supervisor.secrets.db`), data in the file
driver's directory (`supervisor.secrets.data`). No report carries a secret's data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.api import InspectReport, Report, session
from supervisor.errors import ScopeboxError, UsageError, mapped
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.engine import Engine
    from supervisor.secrets.db import Secret, SecretDB

FILTER_KEYS = ("name", "id")
DRIVERS = ("file", "pass", "shell")  # Podman 4.3's; scopebox has the file driver only


@dataclass(frozen=True)
class CreateOptions:
    name: str
    data: bytes = field(repr=False)
    driver: str = "file"
    driver_options: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


def _db(eng: Engine) -> SecretDB:
    from supervisor.secrets.db import SecretDB

    return SecretDB(eng.store)


def create(settings: Settings, opts: CreateOptions) -> str:
    """The new secret's id."""
    import os

    from supervisor.secrets import data
    from supervisor.secrets.db import Secret
    from supervisor.secrets.spec import check_size, validate_name
    from supervisor.timefmt import now_rfc3339

    validate_name(opts.name)
    if opts.driver not in DRIVERS:
        raise UsageError("invalid driver")
    if opts.driver != "file":
        raise UsageError(f"secret driver {opts.driver}: scopebox has only the file driver")
    check_size(opts.data)
    with session(settings) as eng:
        db = _db(eng)
        directory = opts.driver_options.get("path") or data.default_dir(eng.paths.root)
        options = {**opts.driver_options, "path": os.path.abspath(directory)}
        now = now_rfc3339()
        secret = Secret(os.urandom(13).hex()[:25], opts.name, opts.driver, options,
                        dict(opts.labels), now, now)
        data.write(options["path"], secret.id, opts.data)
        try:
            db.add(secret)
        except BaseException:
            data.remove(options["path"], secret.id)
            raise
        return secret.id


def list_secrets(settings: Settings, filters: dict[str, list[str]] | None = None,
                 ) -> list[dict[str, Any]]:
    """`secret ls`: each one's inspect object; filters name= and id= are regular
    expressions (Podman's), a secret passes when every key matches one of its values. An
    unknown key is refused when there is a secret to filter (Podman's)."""
    with session(settings) as eng:
        return [s.to_json() for s in _db(eng).all() if _matches(s, filters or {})]


def _matches(secret: Secret, filters: dict[str, list[str]]) -> bool:
    fields = {"name": secret.name, "id": secret.id}
    for key, values in filters.items():
        if key not in FILTER_KEYS:
            raise UsageError(f'invalid filter "{key}"')
        try:
            if not any(re.search(v, fields[key]) for v in values):
                return False
        except re.error as exc:
            raise UsageError(f"invalid filter {key}={values[0]!r}: {exc}") from None
    return True


def inspect(settings: Settings, refs: list[str]) -> list[InspectReport]:
    from supervisor.secrets.db import NoSuchSecret

    out = []
    with session(settings) as eng:
        db = _db(eng)
        for ref in refs:
            try:
                with mapped():
                    found = db.find(ref)
                    if found is None:  # Podman's words for inspect
                        raise NoSuchSecret(ref, "inspecting secret: ")
                    out.append(InspectReport(ref, found.to_json()))
            except ScopeboxError as exc:
                out.append(InspectReport(ref, err=exc))
    return out


def exists(settings: Settings, ref: str) -> bool:
    with session(settings) as eng:
        try:
            return _db(eng).find(ref) is not None
        except UsageError:  # an ambiguous prefix
            return False


def remove(settings: Settings, refs: list[str], all: bool = False) -> list[Report]:
    """`secret rm`: the definition, then the data. Containers keep their own copies of
    mount-type secrets (Podman 4.3 removes a secret in use too)."""
    from supervisor.secrets import data

    reports = []
    with session(settings) as eng:
        db = _db(eng)
        targets = [s.id for s in db.all()] if all else refs
        for ref in targets:
            try:
                with mapped():
                    secret = db.get(ref)
                    if db.delete(secret.id):
                        data.remove(secret.options.get("path", ""), secret.id)
                    reports.append(Report(secret.id, ref))
            except ScopeboxError as exc:
                reports.append(Report(ref, ref, exc))
    return reports
