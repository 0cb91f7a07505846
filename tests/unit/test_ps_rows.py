"""performance (issue 16): what `ps` reads per row of a listing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supervisor import store as store_module
from supervisor.api import containers as api
from supervisor.paths import Paths
from supervisor.settings import Settings
from supervisor.state import Status
from supervisor.store import ContainerRow, ImageRow, Store
from tests.unit.configs import config

IMAGE = "ab" * 32


def _decoded(monkeypatch: pytest.MonkeyPatch, decoder: str,
             key: Callable[[Any], str]) -> list[str]:
    """What the store's `decoder` turns from rows into objects, by `key`, from now on."""
    seen: list[str] = []
    real = getattr(store_module, decoder)

    def counted(row: object) -> Any:
        obj = real(row)
        seen.append(key(obj))
        return obj

    monkeypatch.setattr(store_module, decoder, counted)
    return seen


def test_ps_decodes_each_image_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three containers of one image: its row (the whole image config, as JSON) is read and
    decoded once for the listing, not once per container and again for --size; every row
    still shows the image's command and size."""
    paths = Paths(root=f"{tmp_path}/root", runroot=f"{tmp_path}/run")
    store = Store(paths)
    store.add_image(ImageRow(IMAGE, ["localhost/busybox:latest"], "2026-12-08T00:00:00Z", 2048,
                             [], {"config": {"Cmd": ["sh", "-c", "echo hi"]}}))  # fmt: skip
    for i, name in enumerate(("a", "b", "c")):
        store.add_container(ContainerRow(
            id=name * 64, name=name, image_id=IMAGE, image_name="localhost/busybox:latest",
            created=f"2026-12-08T00:00:0{i}Z", status=Status.CREATED, config=config(),
        ))  # fmt: skip
    store.close()
    decoded = _decoded(monkeypatch, "_image_from_row", lambda img: str(img.id))
    settings = Settings(root=paths.root, runroot=paths.runroot)
    entries = api.list_containers(settings, api.ListOptions(all=True, size=True))
    assert [(e.json["Names"], e.json["Command"]) for e in entries] == [
        (["c"], ["sh", "-c", "echo hi"]), (["b"], ["sh", "-c", "echo hi"]),
        (["a"], ["sh", "-c", "echo hi"]),
    ]  # fmt: skip
    assert [e.json["Size"]["rootFsSize"] for e in entries] == [2048] * 3
    assert decoded == [IMAGE]


def test_ps_name_filter_decodes_only_what_it_shows(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """name= and id= are decided on a row's plain columns: the rows they refuse are neither
    decoded nor reconciled; what passes is matched on every filter (the same key ORs, keys
    AND)."""
    paths = Paths(root=f"{tmp_path}/root", runroot=f"{tmp_path}/run")
    store = Store(paths)
    for i, name in enumerate(("web", "web2", "db")):
        store.add_container(ContainerRow(
            id=f"{i}" * 64, name=name, image_id=IMAGE, image_name="localhost/busybox:latest",
            created=f"2026-12-08T00:00:0{i}Z", status=Status.CREATED, config=config(),
        ))  # fmt: skip
    store.close()
    decoded = _decoded(monkeypatch, "_container_from_row", lambda c: str(c.name))
    settings = Settings(root=paths.root, runroot=paths.runroot)

    def names(*filters: tuple[str, str]) -> list[str]:
        decoded.clear()
        entries = api.list_containers(settings, api.ListOptions(all=True, filters=list(filters)))
        return [e.json["Names"][0] for e in entries]

    assert (names(("name", "^web$")), decoded) == (["web"], ["web"])
    assert names(("name", "web")) == ["web2", "web"]
    assert (names(("name", "web"), ("id", "^1")), decoded) == (["web2"], ["web2"])
    assert (names(("name", "db"), ("name", "^web$")), sorted(decoded)) == (["db", "web"],
                                                                           ["db", "web"])
    assert names(("name", "web"), ("status", "running")) == []
    assert (names(("label", "a=b")), len(decoded)) == ([], 3)
