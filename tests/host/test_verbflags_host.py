"""helper "flags" (issue 19, second round) on the bare host: `ps --watch` lists again and
shows what changed in between; `pull --all-tags`, `--cert-dir` and `--arch` against a real
registry (TLS from a throwaway CA)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.timefmt import parse_rfc3339
from tests import registryhelp as rh
from tests.cases import PURE_V2, cgroup_file, unique
from tests.clihelp import Scopebox, wait_for

pytestmark = pytest.mark.host


def test_ps_watch_lists_again_with_what_changed(sb: Scopebox) -> None:
    name = unique("watch")
    proc = sb.popen("ps", "-a", "--watch", "1", "--format", "{{.Names}}")
    seen: list[str] = []
    try:
        assert proc.stdout is not None
        sb("create", "--name", name, "busybox", "true")
        for line in proc.stdout:  # the first listings may predate the create
            seen.append(line.strip())
            if name in seen:
                break
        wait_for(lambda: proc.poll() is None, what="ps still watching")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        sb("rm", "-f", name, check=False)
    assert name in seen
    assert proc.returncode != 0  # ended by the signal, not by itself


# pull --all-tags, --cert-dir, --arch (a real registry with TLS from a throwaway CA)


@pytest.fixture(scope="module")
def treg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rh.Registry]:
    layout = rh.OciLayout(tmp_path_factory.mktemp("oci"))
    first, _ = layout.add_image(rh.two_layer_image())
    layout.tag(first, "v1")
    second, _ = layout.add_image(rh.two_layer_image("second"))
    layout.tag(second, "v2")
    with rh.registry(tmp_path_factory.mktemp("treg"), tls=True) as r:
        for tag, repo_tag in (("v1", "v1"), ("v2", "v2"), ("v1", "latest")):
            rh.skopeo_push(layout.root, tag, r, f"test/bb:{repo_tag}")
        yield r


@pytest.fixture
def rsb(tmp_path: Path) -> Iterator[Scopebox]:
    """A private store, no registries.conf, no certs.d: only --cert-dir can trust the CA."""
    (tmp_path / "registries.conf").write_text("")
    box = Scopebox({
        "SCOPEBOX_ROOT": str(tmp_path / "root"),
        "SCOPEBOX_RUNROOT": str(tmp_path / "run"),
        "REGISTRY_AUTH_FILE": str(tmp_path / "auth.json"),
        "SCOPEBOX_REGISTRIES_CONF": str(tmp_path / "registries.conf"),
        "SCOPEBOX_CERTS_D": str(tmp_path / "certs.d"),
    })
    yield box
    box("rmi", "-a", "-f", check=False)


def test_pull_all_tags_with_cert_dir(rsb: Scopebox, treg: rh.Registry) -> None:
    repo = f"{treg.host}/test/bb"
    refused = rsb("pull", "-q", f"{repo}:v1", check=False)  # the CA is only in --cert-dir
    assert refused.returncode == 125 and "CERTIFICATE_VERIFY_FAILED" in refused.stderr
    # a tag in the reference is dropped, as Podman 4.3 does: every tag is pulled
    res = rsb("pull", "-q", "--all-tags", "--cert-dir", treg.cert_dir, f"{repo}:v1")
    ids = res.stdout.split()
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]  # latest, v1 (same image), v2
    names = rsb("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert sorted(names) == [f"{repo}:latest", f"{repo}:v1", f"{repo}:v2"]
    gone = rsb("pull", "-a", "--cert-dir", treg.cert_dir, f"{treg.host}/test/nope", check=False)
    assert (gone.returncode, gone.stderr.strip()) == (
        125, "Error: fetching tags list: invalid status code from registry 404 (Not Found)")


def test_cert_dir_client_pair_is_checked(rsb: Scopebox, treg: rh.Registry,
                                         tmp_path: Path) -> None:
    certs = tmp_path / "mine"
    certs.mkdir()
    shutil.copy(Path(treg.cert_dir) / "ca.crt", certs / "ca.crt")
    (certs / "client.cert").write_text("")
    res = rsb("pull", "--cert-dir", str(certs), f"{treg.host}/test/bb:v1", check=False)
    assert res.returncode == 125
    assert "missing key client.key for client certificate client.cert" in res.stderr


def test_arch_selects_the_platform(rsb: Scopebox, treg: rh.Registry) -> None:
    both = rsb("pull", "--arch", "arm64", "--platform", "linux/arm64", "x", check=False)
    assert (both.returncode, both.stderr.strip()) == (
        125, "Error: --platform option can not be specified with --arch or --os")
    ref = f"{treg.host}/test/bb:v1"
    rsb("pull", "-q", "--cert-dir", treg.cert_dir, "--arch", "amd64", "--os", "linux", ref)
    res = rsb("create", "--arch", "arm64", "--pull", "never", ref, "true", check=False)
    assert res.returncode == 125 and "arm64" in res.stderr  # the local image is amd64


# --cpu-rt-period / --cpu-rt-runtime: cgroup v1's cpu.rt_* as the kernel holds them


def _rt_files() -> bool:
    return os.path.exists("/sys/fs/cgroup/cpu/cpu.rt_period_us")


def test_cpu_rt_period_is_the_kernels_and_update_changes_it(sb: Scopebox) -> None:
    if PURE_V2:
        res = sb("run", "--rm", "--cpu-rt-period", "50000", "busybox", "true")
        assert "Realtime period not supported on cgroups V2 systems" in res.stderr
        return
    if not _rt_files():
        pytest.skip("no cpu.rt_period_us: the kernel has no CONFIG_RT_GROUP_SCHED")
    name = unique("rt")
    try:
        sb("run", "-d", "--name", name, "--cpu-rt-period", "50000", "busybox", "sleep", "100")
        pid = int(str(sb.inspect(name)["State"]["Pid"]))  # type: ignore[index]
        assert cgroup_file(pid, "cpu", "cpu.rt_period_us") == "50000"
        sb("update", "--cpu-rt-period", "60000", name)
        assert cgroup_file(pid, "cpu", "cpu.rt_period_us") == "60000"
        shown = sb("inspect", "--format", "{{.HostConfig.CpuRealtimePeriod}}", name).stdout
        assert shown.strip() == "60000"
    finally:
        sb("rm", "-f", "-t", "0", name, check=False)


def test_cpu_rt_runtime_over_the_parents_budget_is_the_kernels_refusal(sb: Scopebox) -> None:
    """The parent cgroup's rt_runtime_us is 0 here (as for Podman's): the kernel refuses."""
    if PURE_V2 or not _rt_files():
        pytest.skip("cgroup v1 with CONFIG_RT_GROUP_SCHED only")
    res = sb("run", "--rm", "--cpu-rt-runtime", "1000", "busybox", "true", check=False)
    assert res.returncode != 0 and "cpu.rt_runtime_us: invalid argument" in res.stderr


# --systemd: Podman's systemd mode, as the kernel shows it to the container


def test_systemd_mode_mounts_and_stop_signal(sb: Scopebox) -> None:
    name = unique("sd")
    script = "trap 'exit 37' 37; echo ready; while :; do sleep 0.1; done"
    try:
        sb("run", "-d", "--name", name, "--systemd=always", "busybox", "sh", "-c", script)
        wait_for(lambda: "ready" in sb("logs", name).stdout, what="the trap set")
        mounts = sb("exec", name, "cat", "/proc/mounts").stdout.splitlines()
        seen = {f[1]: (f[2], f[3].split(",")) for f in (line.split() for line in mounts)}
        for dest in ("/run", "/run/lock", "/tmp", "/var/log/journal"):
            assert seen[dest][0] == "tmpfs" and "rw" in seen[dest][1], (dest, seen.get(dest))
        cgroup = "/sys/fs/cgroup" if PURE_V2 else "/sys/fs/cgroup/systemd"
        assert "rw" in seen[cgroup][1], seen[cgroup]
        sb("stop", "-t", "10", name)  # SIGRTMIN+3 (37): the trap's exit code, not SIGKILL's
        assert sb("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "37"
    finally:
        sb("rm", "-f", "-t", "0", name, check=False)


def test_chrootdirs_get_the_containers_etc_files(sb: Scopebox) -> None:
    script = ("grep -e ' /srv/etc/' -e ' /x/etc/' /proc/mounts | cut -d' ' -f2;"
              " cmp /etc/hosts /srv/etc/hosts && echo same && echo 1.2.3.4 h >> /etc/hosts &&"
              " grep -c 1.2.3.4 /x/etc/hosts")
    out = sb("run", "--rm", "--add-host", "a:10.0.0.1", "--chrootdirs", "/srv,/x", "busybox",
             "sh", "-c", script).stdout.split()
    assert out == ["/srv/etc/hosts", "/srv/etc/resolv.conf", "/x/etc/hosts",
                   "/x/etc/resolv.conf", "same", "1"]  # the same file, not a copy


def test_pod_create_infra_settings_reach_the_members(sb: Scopebox) -> None:
    pod = unique("podflags")
    try:
        sb("pod", "create", "--name", pod, "--network", "none", "--sysctl",
           "net.ipv4.ip_forward=1", "--shm-size", "10m", "--dns-search", "example.com",
           "--dns-option", "ndots:3")
        out = sb("run", "--rm", "--pod", pod, "busybox", "sh", "-c",
                 "cat /proc/sys/net/ipv4/ip_forward; grep ' /dev/shm ' /proc/mounts;"
                 " cat /etc/resolv.conf").stdout
        lines = out.splitlines()
        assert lines[0] == "1"  # the pod's network namespace, set through its infra
        assert "size=10240k" in lines[1]
        assert "search example.com" in lines and "options ndots:3" in lines
    finally:
        sb("pod", "rm", "-f", "-t", "0", pod, check=False)


def test_init_containers_run_first_and_once_ones_go(sb: Scopebox) -> None:
    pod = unique("initctr")
    try:
        sb("pod", "create", "--name", pod)
        sb("create", "--name", f"{pod}-once", "--init-ctr", "once", "--pod", pod, "busybox",
           "true")
        sb("create", "--name", f"{pod}-init", "--init-ctr", "always", "--pod", pod, "busybox",
           "sleep", "1")
        sb("create", "--name", f"{pod}-main", "--pod", pod, "busybox", "sleep", "100")
        sb("pod", "start", pod)
        fmt = "{{.State.FinishedAt}}|{{.State.ExitCode}}"
        finished, code = sb("inspect", "--format", fmt, f"{pod}-init").stdout.strip().split("|")
        main = sb("inspect", "--format", "{{.State.StartedAt}}", f"{pod}-main").stdout.strip()
        assert code == "0"
        ended, began = parse_rfc3339(finished), parse_rfc3339(main)
        assert ended is not None and began is not None and began >= ended  # after it
        names = sb("ps", "-a", "--format", "{{.Names}}").stdout.split()
        assert f"{pod}-once" not in names and f"{pod}-init" in names
    finally:
        sb("pod", "rm", "-f", "-t", "0", pod, check=False)
