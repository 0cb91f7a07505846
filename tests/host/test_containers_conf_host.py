"""containers.conf honoured end to end: a private file (CONTAINERS_CONF), never the host's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clihelp import Scopebox

pytestmark = pytest.mark.host


@pytest.fixture
def conf_sb(sb: Scopebox, tmp_path: Path) -> Iterator[Scopebox]:
    path = tmp_path / "containers.conf"
    path.write_text(
        '[engine]\nruntime = "runc"\nstop_timeout = 3\n'
        '[containers]\npids_limit = 77\nlog_driver = "k8s-file"\n'
    )
    yield Scopebox({**sb.env, "CONTAINERS_CONF": str(path)})


def test_runtime_stop_timeout_pids_limit_from_the_file(conf_sb: Scopebox) -> None:
    assert conf_sb("info", "--format", "{{.Host.OCIRuntime.Name}}").stdout == "runc\n"
    cid = conf_sb("run", "-d", "busybox", "sleep", "1000").stdout.strip()
    try:
        out = conf_sb("inspect", "-f", "{{.Config.StopTimeout}} {{.HostConfig.LogConfig.Type}}",
                      cid).stdout
        assert out == "3 k8s-file\n"
        pid = conf_sb("inspect", "-f", "{{.State.Pid}}", cid).stdout.strip()
        cgroup = next(line.split(":", 2)[2] for line in
                      Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                      if line.split(":")[1] == "pids" or line.startswith("0::"))
        root = "/sys/fs/cgroup/pids" if Path("/sys/fs/cgroup/pids").is_dir() else "/sys/fs/cgroup"
        assert Path(f"{root}{cgroup}/pids.max").read_text().strip() == "77"
        # a flag still wins over the file
        flagged = conf_sb("create", "--stop-timeout", "9", "busybox", "true").stdout.strip()
        assert conf_sb("inspect", "-f", "{{.Config.StopTimeout}}", flagged).stdout == "9\n"
        conf_sb("rm", flagged)
    finally:
        conf_sb("rm", "-f", "-t", "0", cid)


def test_a_bad_value_in_the_file_is_one_line(sb: Scopebox, tmp_path: Path) -> None:
    path = tmp_path / "bad.conf"
    path.write_text('[engine]\nstop_timeout = "soon"\n')
    res = Scopebox({**sb.env, "CONTAINERS_CONF": str(path)})("ps", check=False)
    assert (res.returncode, res.stdout) == (125, "")
    want = f"Error: {path}: [engine] stop_timeout must be an integer >= 0, not 'soon'\n"
    assert res.stderr == want
