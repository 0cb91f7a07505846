"""The service's router loads a route module when a request first asks under its path's first
segment: every module's routes must sit under segments that name it, and a path resolves to
the same handler whether its module came lazily or with all the others."""

from __future__ import annotations

import importlib

import pytest

from supervisor.service import routes
from supervisor.service.call import Router
from supervisor.service.http import HTTPError


def test_every_route_is_under_a_segment_naming_its_module() -> None:
    modules = {name for names in routes.SEGMENTS.values() for name in names}
    for name in sorted(modules):
        r = Router()
        importlib.import_module(f"supervisor.service.{name}").add_routes(r)  # type: ignore[attr-defined]
        assert r.routes, name
        for _, regex, _ in r.routes:
            segment = regex.pattern.lstrip("^/").rstrip("$").split("/")[0]
            assert name in routes.SEGMENTS.get(segment, ()), (name, regex.pattern)


def test_lazy_and_eager_routers_agree() -> None:
    eager = routes.router()
    eager.load_all()
    assert not eager.lazy
    for method, path in [("GET", "/containers/json"), ("GET", "/containers/abc/archive"),
                         ("POST", "/containers/abc/exec"), ("POST", "/exec/abc/start"),
                         ("POST", "/images/localhost:5000/a/b/push"), ("GET", "/libpod/info"),
                         ("DELETE", "/volumes/v"), ("POST", "/commit"), ("GET", "/_ping")]:
        lazy = routes.router()
        handler, params = lazy.find(method, path)
        assert (handler, params) == eager.find(method, path), path
    with pytest.raises(HTTPError) as err:
        routes.router().find("PUT", "/containers/json")
    assert err.value.status == 405
    with pytest.raises(HTTPError) as err:
        routes.router().find("GET", "/nosuch")
    assert err.value.status == 404
