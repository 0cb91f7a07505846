"""The routes of the Docker Engine API this service answers.

Every handler fills the engine API's options from the request, calls one API function in a
worker thread (the API blocks: sqlite, the runtime, waits) and writes Docker's reply.

A route module is imported when the first request of its first path segment comes (the
socket-activated service's first reply pays only for the modules it uses): `SEGMENTS` names,
for each first segment, every module with routes under it.
"""

from __future__ import annotations

from supervisor.service import system
from supervisor.service.call import Router

SEGMENTS: dict[str, tuple[str, ...]] = {
    "containers": ("containers", "archive", "execs"),
    "commit": ("containers",),
    "exec": ("execs",),
    "images": ("images",),
    "build": ("build",),
    "networks": ("objects",),
    "volumes": ("objects",),
    "libpod": ("libpod", "libpodops", "libpoddata", "libpodsys"),
}


def router() -> Router:
    r = Router(SEGMENTS)
    r.add("GET", "/_ping", system.ping)
    r.add("GET", "/version", system.version)
    r.add("GET", "/info", system.info)
    r.add("GET", "/events", system.events)
    r.add("GET", "/system/df", system.df)
    return r
