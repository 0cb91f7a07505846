"""Podman's configuration files as scopebox reads them: storage.conf and the user's
containers.conf, with Podman's precedence (file < environment < flag)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supervisor.errors import UsageError
from supervisor.settings import Settings, containers_conf_files


def _storage(tmp_path: Path, body: str) -> dict[str, str]:
    conf = tmp_path / "storage.conf"
    conf.write_text(body)
    return {"CONTAINERS_STORAGE_CONF": str(conf), "CONTAINERS_CONF": str(tmp_path / "none.conf")}


@pytest.fixture(autouse=True)
def _no_containers_conf(tmp_path: Path) -> None:
    (tmp_path / "none.conf").write_text("")


def test_storage_conf_sets_the_roots(tmp_path: Path) -> None:
    env = _storage(tmp_path, '[storage]\ndriver = "overlay"\ngraphroot = "/srv/g"\n'
                             'runroot = "/run/r"\nunknown_key = 1\n[storage.options]\nx = 1\n')
    got = Settings.from_env(env)
    assert (got.root, got.runroot) == ("/srv/g", "/run/r")


def test_environment_and_flags_win_over_storage_conf(tmp_path: Path) -> None:
    env = _storage(tmp_path, '[storage]\ngraphroot = "/srv/g"\nrunroot = "/run/r"\n')
    env["SCOPEBOX_ROOT"] = "/srv/env"
    got = Settings.from_env(env)
    assert (got.root, got.runroot) == ("/srv/env", "/run/r")
    assert got.with_flags({"--runroot": "/run/flag"}).runroot == "/run/flag"


@pytest.mark.parametrize(("body", "words"), [
    ('[storage]\ngraphroot = "relative"\n', "graphroot must be an absolute path"),
    ('[storage]\ngraphroot = 3\n', "graphroot must be an absolute path"),
    ('[storage]\ndriver = "btrfs"\n', "driver 'btrfs' is not supported"),
    ('[storage]\ndriver = "vfs"\n', "set SCOPEBOX_STORAGE_DRIVER=vfs"),
    ("[storage\ngraphroot = 1\n", "not valid TOML"),
])
def test_bad_storage_conf_is_one_line(tmp_path: Path, body: str, words: str) -> None:
    with pytest.raises(UsageError) as err:
        Settings.from_env(_storage(tmp_path, body))
    assert words in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path / "storage.conf") in str(err.value)


def test_vfs_in_storage_conf_agrees_with_the_store(tmp_path: Path) -> None:
    env = _storage(tmp_path, '[storage]\ndriver = "vfs"\ngraphroot = "/srv/g"\n')
    env["SCOPEBOX_STORAGE_DRIVER"] = "vfs"
    assert Settings.from_env(env).root == "/srv/g"


def test_missing_storage_conf_named_by_the_environment(tmp_path: Path) -> None:
    env = {"CONTAINERS_STORAGE_CONF": str(tmp_path / "nosuch.conf"),
           "CONTAINERS_CONF": str(tmp_path / "none.conf")}
    with pytest.raises(UsageError, match="does not exist"):
        Settings.from_env(env)


def test_users_containers_conf_only_when_not_root(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "xdg" / "containers"
    (user / "containers.conf.d").mkdir(parents=True)
    (user / "containers.conf").write_text('[engine]\nruntime = "runc"\n')
    (user / "containers.conf.d" / "10-x.conf").write_text('[engine]\nstop_timeout = 3\n')
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    files = containers_conf_files(env)
    assert files[-2:] == [str(user / "containers.conf"), str(user / "containers.conf.d/10-x.conf")]
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert not any(str(tmp_path) in f for f in containers_conf_files(env))
