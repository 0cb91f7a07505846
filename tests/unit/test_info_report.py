"""`info`'s registries and plugins (the CLI's and the service's report) and its YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervisor.api.system import _registries
from supervisor.cli.info import _yaml


def test_registries_as_podman_reports_them(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    conf = tmp_path / "registries.conf"
    conf.write_text('unqualified-search-registries = ["quay.io"]\n\n[[registry]]\n'
                    'prefix = "quay.io/libpod"\nlocation = "127.0.0.1:5055/libpod"\n'
                    'insecure = true\n')  # fmt: skip
    monkeypatch.setenv("CONTAINERS_REGISTRIES_CONF", str(conf))
    monkeypatch.delenv("SCOPEBOX_REGISTRIES_CONF", raising=False)
    assert _registries() == {  # podman 4.3.1's info for this file
        "quay.io/libpod": {"Prefix": "quay.io/libpod", "Location": "127.0.0.1:5055/libpod",
                           "Insecure": True, "PullFromMirror": "", "Mirrors": None,
                           "Blocked": False, "MirrorByDigestOnly": False},
        "search": ["quay.io"]}  # fmt: skip
    conf.write_text("[[registry]\n")  # broken: nothing reported, no traceback
    assert _registries() == {}


def test_yaml_scalars_as_go_yaml() -> None:
    doc = {"a": None, "b": "", "c": True, "d": {}, "e": ["x"], "f": {"g": 1}}
    assert _yaml(doc) == 'a: null\nb: ""\nc: true\nd: {}\ne:\n- x\nf:\n  g: 1\n'
