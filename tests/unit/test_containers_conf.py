"""containers.conf: the keys scopebox honours, Podman's precedence (file < environment <
flag), unknown keys ignored, a bad value one clear line. A private file via CONTAINERS_CONF."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from supervisor.cli.main import _split_globals
from supervisor.errors import UsageError
from supervisor.settings import Settings, containers_conf_files

CONF = """
[containers]
log_driver = "k8s-file"
pids_limit = 100
log_size_max = -1
default_capabilities = ["CHOWN"]   # a key scopebox does not honour: ignored
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
stop_timeout = 3
some_future_key = { a = 1 }
[network]
network_backend = "netavark"
"""


def conf(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "containers.conf"
    path.write_text(text)
    return {"CONTAINERS_CONF": str(path)}


def test_the_file_sets_what_nothing_else_sets(tmp_path: Path) -> None:
    s = Settings.from_env(conf(tmp_path, CONF))
    assert (s.runtime, s.cgroup_manager, s.log_driver, s.events_logger) == (
        "runc", "cgroupfs", "k8s-file", "file"
    )
    assert (s.stop_timeout, s.pids_limit, s.log_size_max) == (3, 100, -1)


def test_environment_beats_the_file_and_flags_beat_both(tmp_path: Path) -> None:
    env = {**conf(tmp_path, CONF), "SCOPEBOX_RUNTIME": "crun", "SCOPEBOX_LOG_DRIVER": "none"}
    s = Settings.from_env(env)
    assert (s.runtime, s.log_driver) == ("crun", "none")
    assert s.with_flags({"--runtime": "/usr/sbin/runc"}).runtime == "/usr/sbin/runc"


def test_global_flag_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in conf(tmp_path, CONF).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SCOPEBOX_RUNTIME", raising=False)
    monkeypatch.delenv("SCOPEBOX_CGROUP_MANAGER", raising=False)
    settings, rest = _split_globals(["--runtime", "crun", "--events-backend", "none", "ps"])
    assert (settings.runtime, settings.events_logger, settings.cgroup_manager, rest) == (
        "crun", "none", "cgroupfs", ["ps"]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[engine]\nstop_timeout = "ten"\n', "stop_timeout must be an integer >= 0, not 'ten'"),
        ("[engine]\nstop_timeout = -5\n", "[engine] stop_timeout must be an integer >= 0, not -5"),
        ("[containers]\npids_limit = true\n", "[containers] pids_limit must be an integer"),
        ("[engine]\nruntime = 3\n", "[engine] runtime must be a string, not 3"),
        ("[engine]\ncgroup_manager = \"bogus\"\n", "--cgroup-manager must be systemd or cgroupfs"),
        ("[engine]\nevents_logger = \"bogus\"\n", "events logger must be one of file, journald"),
        ("[containers]\nlog_driver = \"syslog\"\n", "log_driver) must be one of journald"),
        ("[engine]\nruntime = \n", "not valid TOML"),
    ],
)
def test_a_bad_value_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        Settings.from_env(conf(tmp_path, text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_keys_and_tables_are_ignored(tmp_path: Path) -> None:
    text = "[containers]\nfoo = 1\n[engine]\nbar = \"x\"\n[machine]\ncpus = 2\n"
    assert Settings.from_env(conf(tmp_path, text)) == Settings()


def test_a_missing_containers_conf_named_by_the_environment(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="CONTAINERS_CONF"):
        Settings.from_env({"CONTAINERS_CONF": str(tmp_path / "nope.conf")})


def test_system_files_and_drop_ins_in_podman_order() -> None:
    files = containers_conf_files({})
    assert files[:2] == ["/usr/share/containers/containers.conf", "/etc/containers/containers.conf"]
    assert all(f.startswith("/etc/containers/containers.conf.d/") for f in files[2:])
    assert containers_conf_files({"CONTAINERS_CONF": "/x.conf"}) == ["/x.conf"]


def test_create_keys_come_from_the_one_document_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """performance (issue 16): create's keys (default_sysctls, default_capabilities,
    seccomp_profile) are read through supervisor.tomlcache, the one cache of containers.conf
    documents (by the file's text), so `run` loads no tomllib while the file stays the same;
    a changed file is read again, an invalid one is refused every time (never cached)."""
    import marshal

    from supervisor import tomlcache
    from supervisor.security.host import conf_defaults
    from supervisor.settings import default_sysctls

    monkeypatch.setattr(tomlcache, "PATH", str(tmp_path / "cache.marshal"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    conf = tmp_path / "containers.conf"
    env = {"CONTAINERS_CONF": str(conf)}
    text = '[containers]\ndefault_sysctls = ["a=1"]\nseccomp_profile = "/p"\n'
    conf.write_text(text)
    assert default_sysctls(env) == ["a=1"]
    assert conf_defaults(env) == (None, "/p")
    # a hit is the cache's document for the very same text (the file is not parsed again)
    table = tomlcache._load()
    assert table[str(conf)][0] == text
    tomlcache._save(table, str(conf), text, {"containers": {"default_sysctls": ["c=3"]}})
    assert marshal.loads((tmp_path / "cache.marshal").read_bytes())[1][str(conf)][0] == text
    assert default_sysctls(env) == ["c=3"]
    # a changed file is read again
    conf.write_text('[containers]\ndefault_sysctls = ["b=22"]\n')
    assert default_sysctls(env) == ["b=22"]
    assert conf_defaults(env) == (None, None)
    conf.write_text("[containers]\ndefault_sysctls = [\n")
    for _ in range(2):
        with pytest.raises(UsageError, match="not valid TOML"):
            default_sysctls(env)
    conf.write_text('[containers]\ndefault_capabilities = "CHOWN"\n')
    for _ in range(2):
        with pytest.raises(UsageError, match="must be a list of strings"):
            conf_defaults(env)
