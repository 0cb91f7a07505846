"""The routes of the Docker Engine API this service answers.

Every handler fills the engine API's options from the request, calls one API function in a
worker thread (the API blocks: sqlite, the runtime, waits) and writes Docker's reply.
"""

from __future__ import annotations

from supervisor.service import archive, containers, execs, images, libpod, objects, system
from supervisor.service.call import Router


def router() -> Router:
    r = Router()
    r.add("GET", "/_ping", system.ping)
    r.add("GET", "/version", system.version)
    r.add("GET", "/info", system.info)
    r.add("GET", "/events", system.events)
    r.add("GET", "/system/df", system.df)
    containers.add_routes(r)
    archive.add_routes(r)
    execs.add_routes(r)
    images.add_routes(r)
    objects.add_routes(r)
    libpod.add_routes(r)
    return r
