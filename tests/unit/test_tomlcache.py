"""supervisor/tomlcache.py: a containers.conf is parsed once per text, and a hit gives the
document tomllib gives; a changed, foreign or damaged cache never does."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from supervisor import tomlcache
from supervisor.settings import Settings

CHECKOUT = Path(__file__).resolve().parents[2]
CONF = '[containers]\nnetns = "none"\ntz = "UTC"\n[engine]\nevents_logger = "file"\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache.marshal"
    monkeypatch.setattr(tomlcache, "PATH", str(path))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return path


def test_a_hit_is_the_parsed_document(tmp_path: Path, cache: Path) -> None:
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF)
    first = tomlcache.loads(str(conf), CONF)
    assert cache.exists() and cache.stat().st_mode & 0o777 == 0o600
    assert tomlcache.loads(str(conf), CONF) == first == tomllib.loads(CONF)


def test_a_changed_text_is_parsed_again(tmp_path: Path, cache: Path) -> None:
    conf = str(tmp_path / "containers.conf")
    tomlcache.loads(conf, CONF)
    changed = CONF.replace('"none"', '"host"')
    assert tomlcache.loads(conf, changed)["containers"]["netns"] == "host"
    assert tomlcache.loads(conf, CONF)["containers"]["netns"] == "none"


def test_bad_toml_raises_and_is_not_kept(tmp_path: Path, cache: Path) -> None:
    conf = str(tmp_path / "containers.conf")
    for _ in range(2):
        with pytest.raises(tomllib.TOMLDecodeError):
            tomlcache.loads(conf, "[containers\n")
    assert not cache.exists()


def test_dates_are_parsed_but_not_kept(tmp_path: Path, cache: Path) -> None:
    """marshal cannot hold TOML's dates: such a file is parsed every time, as before."""
    text = "[x]\nwhen = 1979-05-27T07:32:00Z\n"
    assert tomlcache.loads(str(tmp_path / "c.conf"), text) == tomllib.loads(text)
    assert not cache.exists()


def test_a_foreign_or_damaged_cache_is_empty(tmp_path: Path, cache: Path) -> None:
    """A cache file someone else owns (a user who can write the package directory) or a
    damaged one is ignored: root is not handed a document it did not parse."""
    conf = str(tmp_path / "containers.conf")
    tomlcache.loads(conf, CONF)
    import marshal

    forged = {conf: (CONF, {"engine": {"runtime": "/tmp/evil"}})}
    cache.write_bytes(marshal.dumps((tomlcache.FORMAT, forged)))
    assert tomlcache.loads(conf, CONF)["engine"]["runtime"] == "/tmp/evil"  # ours: trusted
    cache.write_bytes(marshal.dumps((tomlcache.FORMAT, forged)))
    if os.geteuid() == 0:
        os.chown(cache, 65534, 65534)
        assert "runtime" not in tomlcache.loads(conf, CONF)["engine"]
    cache.write_bytes(b"\x00garbage")
    assert tomlcache.loads(conf, CONF) == tomllib.loads(CONF)


def test_only_the_last_files_are_kept(tmp_path: Path, cache: Path) -> None:
    for i in range(tomlcache.KEEP + 5):
        tomlcache.loads(str(tmp_path / f"{i}.conf"), CONF)
    table = tomlcache._load()
    assert len(table) == tomlcache.KEEP
    assert str(tmp_path / f"{tomlcache.KEEP + 4}.conf") in table


def test_settings_from_a_hit_load_no_tomllib(tmp_path: Path) -> None:
    """The point of it: a verb started with a containers.conf naming our keys reads its
    settings without importing tomllib (nor re, typing, datetime) once the text is known."""
    conf = tmp_path / "containers.conf"
    conf.write_text(CONF)
    (tmp_path / "storage.conf").write_text("")
    code = (f"import sys; sys.path.insert(0, {str(CHECKOUT)!r})\n"
            "from supervisor.settings import Settings\n"
            "s = Settings.from_env()\n"
            "print(s.netns, s.tz, s.events_logger, 'tomllib' in sys.modules, 're' in sys.modules)")
    env = {"PATH": "/usr/bin:/bin", "CONTAINERS_CONF": str(conf),
           "CONTAINERS_STORAGE_CONF": str(tmp_path / "storage.conf")}  # fmt: skip
    runs = [subprocess.run([sys.executable, "-I", "-S", "-c", code], env=env, text=True,
                           capture_output=True, check=True).stdout for _ in range(2)]  # fmt: skip
    assert runs == ["none UTC file True True\n", "none UTC file False False\n"]
    assert Settings.from_env({"CONTAINERS_CONF": str(conf)}).netns == "none"
