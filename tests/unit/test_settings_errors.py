"""Settings (flags over environment, no os.environ writes) and the one error map."""

from __future__ import annotations

import os
import sqlite3

import pytest

from cgroupfs.errors import CgroupWriteError
from supervisor.cli.main import _report, _split_globals
from supervisor.errors import (
    ConflictError,
    ScopeboxError,
    SystemError_,
    UsageError,
    mapped,
    translate,
)
from supervisor.format import TemplateError
from supervisor.settings import Settings
from units.errors import AccessDeniedError


def test_flags_win_over_the_environment_and_leave_it_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCOPEBOX_ROOT", "/env/root")
    monkeypatch.setenv("SCOPEBOX_RUNTIME", "crun")
    monkeypatch.delenv("SCOPEBOX_RUNROOT", raising=False)
    monkeypatch.delenv("SCOPEBOX_CGROUP_MANAGER", raising=False)
    before = dict(os.environ)
    settings, rest = _split_globals(
        ["--root", "/flag/root", "--cgroup-manager=cgroupfs", "ps", "--root", "x"]
    )
    assert rest == ["ps", "--root", "x"]  # the verb's own arguments are not globals
    assert settings.root == "/flag/root"
    assert settings.runtime == "crun"
    assert settings.runroot == "/run/scopebox"
    assert settings.cgroup_manager == "cgroupfs"
    assert dict(os.environ) == before


def test_bad_settings_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="cgroup-manager"):
        _split_globals(["--cgroup-manager", "nope", "ps"])
    with pytest.raises(UsageError, match="needs a value"):
        _split_globals(["--root"])
    with pytest.raises(UsageError, match="SCOPEBOX_LOG_DRIVER"):
        Settings.from_env({"SCOPEBOX_LOG_DRIVER": "syslog"})


def test_global_flags_give_a_child_the_same_settings() -> None:
    s = Settings.from_env({}).with_flags(
        {"--root": "/srv/sb", "--runtime": "/usr/bin/runc", "--cgroup-manager": "cgroupfs"}
    )
    flags = s.global_flags()
    assert flags == ["--root", "/srv/sb", "--runtime", "/usr/bin/runc",
                     "--cgroup-manager", "cgroupfs"]
    child, rest = _split_globals([*flags, "cleanup"])
    assert rest == ["cleanup"] and child.global_flags() == flags
    assert s.global_flags(paths=False) == flags[2:]
    assert Settings.from_env({}).global_flags() == []


def test_runtime_flags_are_podmans_and_reach_a_child() -> None:
    """`--runtime-flag debug` is the runtime's `--debug` (Podman adds the dashes), repeatable,
    and the monitor's exit command (a child CLI) gets them too."""
    s, rest = _split_globals(["--runtime-flag", "debug", "--runtime-flag=log-format=json",
                              "--runtime-flag", "--systemd-cgroup", "ps"])
    assert rest == ["ps"]
    assert s.runtime_flags == ("--debug", "--log-format=json", "--systemd-cgroup")
    flags = s.global_flags()
    assert flags == ["--runtime-flag", "debug", "--runtime-flag", "log-format=json",
                     "--runtime-flag", "systemd-cgroup"]
    assert _split_globals([*flags, "cleanup"])[0].runtime_flags == s.runtime_flags


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (sqlite3.OperationalError("database or disk is full"), SystemError_, "disk is full"),
        (sqlite3.OperationalError("unable to open database file"), SystemError_, "open"),
        (FileNotFoundError(2, "No such file or directory", "/proc/nope"), SystemError_,
         "No such file or directory: '/proc/nope'"),
        (AccessDeniedError("org.freedesktop.DBus.Error.AccessDenied", "no"), SystemError_,
         "systemd"),
        (CgroupWriteError("/sys/fs/cgroup/x", "1", 22, "Invalid argument"), SystemError_,
         "cgroup"),
        (TemplateError("bad"), UsageError, "template parsing error: bad"),
    ],
)
def test_lower_layers_map_to_engine_errors(
    exc: Exception, kind: type[ScopeboxError], text: str
) -> None:
    err = translate(exc)
    assert isinstance(err, kind) and text in str(err)


def test_engine_errors_pass_and_bugs_are_not_mapped() -> None:
    own = ConflictError("x")
    assert translate(own) is own
    assert translate(KeyError("x")) is None
    with pytest.raises(SystemError_) as info, mapped():
        raise PermissionError(13, "Permission denied", "/var/lib/scopebox")
    assert isinstance(info.value.__cause__, PermissionError)
    with pytest.raises(KeyError), mapped():
        raise KeyError("a bug stays a bug, for the last-resort handler")


def test_the_last_resort_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _report(KeyError("options"), debug=False) == 125
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("Error: ") and "SCOPEBOX_DEBUG=1" in err
    assert "Traceback" not in err
    assert _report(sqlite3.OperationalError("database or disk is full"), debug=False) == 125
    assert capsys.readouterr().err == (
        "Error: the state database cannot be written: the disk is full\n"
    )


def test_unknown_commands_are_podmans_words() -> None:
    """Podman's `unrecognized command` and `missing command` (its 015-help test matches)."""
    from supervisor.cli.main import _resolve_verb

    with pytest.raises(UsageError, match=r"^unrecognized command `scopebox NoSuchCommand`"):
        _resolve_verb(["NoSuchCommand"])
    with pytest.raises(UsageError, match=r"^unrecognized command `scopebox network run`\n"
                       r"Try 'scopebox network --help' for more information$"):
        _resolve_verb(["network", "run"])
    with pytest.raises(UsageError, match=r"^missing command 'scopebox volume COMMAND'$"):
        _resolve_verb(["volume"])


def test_volumepath_moves_the_volumes_and_reaches_a_child(tmp_path: object) -> None:
    """Podman's --volumepath: the volumes' directories there instead of ROOT/volumes."""
    s, _ = _split_globals(["--root", "/srv/r", "--volumepath", "/srv/v", "info"])
    assert s.paths.volumes == "/srv/v" and "--volumepath" in s.global_flags()
    assert Settings.from_env({}).with_flags({"--root": "/srv/r"}).paths.volumes == (
        "/srv/r/volumes")
    from supervisor.volumes import local

    assert local.data_dir(s.paths, "v1") == "/srv/v/v1/_data"
