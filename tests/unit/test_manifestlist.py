"""verbs: a manifest list's entries as `add`/`annotate` leave them (pure)."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.manifestlist import DOCKER_LIST, EntryOptions, ManifestList, annotated

ENTRY = {"mediaType": "m", "size": 1, "digest": "sha256:" + "a" * 64,
         "platform": {"architecture": "amd64", "os": "linux"}}


def test_empty_list_renders_null_manifests_as_podman() -> None:
    doc = ManifestList("0" * 64, "localhost/l:latest", []).document()
    assert doc == {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": None}


def test_annotated_overrides_platform_in_podmans_key_order() -> None:
    out = annotated(ENTRY, EntryOptions(arch="arm64", variant="v8", os_version="1",
                                        annotations=("a=b", "c=")))
    assert list(out["platform"].items()) == [("architecture", "arm64"), ("os", "linux"),
                                             ("os.version", "1"), ("variant", "v8")]
    assert out["annotations"] == {"a": "b", "c": ""}
    assert "annotations" not in annotated(ENTRY, EntryOptions())
    assert ENTRY["platform"] == {"architecture": "amd64", "os": "linux"}  # not changed


def test_annotation_without_value_is_refused() -> None:
    with pytest.raises(UsageError, match="no value given for annotation"):
        annotated(ENTRY, EntryOptions(annotations=("nokey",)))
