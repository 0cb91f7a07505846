"""performance (issue 16): what `ps` reads per row of a listing."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor import store as store_module
from supervisor.api import containers as api
from supervisor.paths import Paths
from supervisor.settings import Settings
from supervisor.state import Status
from supervisor.store import ContainerRow, ImageRow, Store
from tests.unit.configs import config

IMAGE = "ab" * 32


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
    decoded: list[str] = []
    real = store_module._image_from_row

    def counted(row: object) -> ImageRow:
        img = real(row)  # type: ignore[arg-type]
        decoded.append(img.id)
        return img

    monkeypatch.setattr(store_module, "_image_from_row", counted)
    settings = Settings(root=paths.root, runroot=paths.runroot)
    entries = api.list_containers(settings, api.ListOptions(all=True, size=True))
    assert [(e.json["Names"], e.json["Command"]) for e in entries] == [
        (["c"], ["sh", "-c", "echo hi"]), (["b"], ["sh", "-c", "echo hi"]),
        (["a"], ["sh", "-c", "echo hi"]),
    ]  # fmt: skip
    assert [e.json["Size"]["rootFsSize"] for e in entries] == [2048] * 3
    assert decoded == [IMAGE]
