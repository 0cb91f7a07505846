"""The engine's API: typed options in, typed reports out, one module per concept.

`supervisor.cli` is one face over it (parse flags, call, print); a REST server will be another.
Every call runs under `errors.mapped()`, so only the engine's own errors (`supervisor.errors`)
leave it. Modules import the engine lazily, inside the calls: the CLI's cold start pays only
for the verb it runs.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from supervisor.errors import ScopeboxError, mapped
from supervisor.records import NamedTuple
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from supervisor.engine import Engine


class Report(NamedTuple):
    """What happened to one item of a multi-item request (Podman's `StopReport{Id, RawInput,
    Err}`): the verb does what it can and the face reports each item."""

    id: str  # the container's (or image's) id, or the input when it was not found
    raw_input: str  # what the user gave
    err: ScopeboxError | None = None


class InspectReport(NamedTuple):
    """One `inspect` argument: its JSON document, or why there is none."""

    raw_input: str
    data: dict[str, Any] | None = None
    err: ScopeboxError | None = None


def enter(settings: Settings) -> None:
    """Rootless (issue 17): a user who is not root works inside their user namespace
    (`supervisor/rootless/userns.py`), joined before anything touches the store."""
    if os.geteuid() != 0:
        from supervisor.rootless.userns import ensure_joined

        ensure_joined(settings.paths.runroot)


@contextmanager
def session(settings: Settings) -> Iterator[Engine]:
    """An engine for one request, errors mapped, closed afterwards."""
    with mapped():
        enter(settings)
        from supervisor.engine import Engine

        eng = Engine(settings=settings)
        try:
            yield eng
        finally:
            eng.close()
