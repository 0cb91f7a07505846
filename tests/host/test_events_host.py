"""events (issue 14) with real containers: what `scopebox events` shows for real commands,
written by the processes that caused them (the CLI, the monitor, the exit command)."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.clihelp import Scopebox


@pytest.fixture(scope="module")
def ev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scopebox]:
    base = tmp_path_factory.mktemp("events")
    conf = base / "containers.conf"
    conf.write_text('[engine]\nevents_logger = "file"\n[containers]\nnetns = "none"\n')
    box = Scopebox({"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run"),
                    "CONTAINERS_CONF": str(conf)})  # fmt: skip
    box.ensure_busybox()
    yield box
    box("rm", "-a", "-f", "-t", "0")
    box("pod", "rm", "-a", "-f", check=False)


def events(sb: Scopebox, *args: str) -> list[dict[str, object]]:
    out = sb("events", "--stream=false", "--format", "json", *args).stdout
    return [json.loads(line) for line in out.splitlines()]


def statuses(sb: Scopebox, *args: str) -> list[str]:
    return [str(e["Status"]) for e in events(sb, *args)]


def test_container_lifecycle_as_podman(ev: Scopebox) -> None:
    cid = ev("run", "-d", "--name", "lc1", "--label", "x=y", "busybox", "sleep", "300").stdout
    cid = cid.strip()
    assert statuses(ev, "--filter", "container=lc1") == ["create", "init", "start"]
    assert ev("run", "--name", "lc2", "busybox", "sh", "-c", "exit 3", check=False).returncode == 3
    assert statuses(ev, "--filter", "container=lc2") == [
        "create", "init", "start", "attach", "died", "cleanup"]
    died = events(ev, "--filter", "container=lc2", "--filter", "event=died")[0]
    assert died["ContainerExitCode"] == 3 and list(died) == [
        "ContainerExitCode", "ID", "Image", "Name", "Status", "Time", "Type", "Attributes"]
    ev("exec", "lc1", "true")
    assert ev("exec", "lc1", "sh", "-c", "exit 4", check=False).returncode == 4
    ev("rm", "-f", "-t", "0", "lc1")
    got = events(ev, "--filter", f"container={cid[:12]}")
    assert [e["Status"] for e in got] == ["create", "init", "start", "exec", "exec_died", "exec",
                                          "exec_died", "died", "cleanup", "remove"]
    assert [e.get("ContainerExitCode", 0) for e in got if e["Status"] in ("exec_died", "died")
            ] == [0, 4, 137]  # fmt: skip
    assert all(e["Attributes"] == {"x": "y"} and e["ID"] == cid for e in got)
    human = ev("events", "--stream=false", "--filter", "container=lc1", "--filter",
               "event=create").stdout  # fmt: skip
    assert human.rstrip().endswith(
        f"container create {cid} (image=localhost/busybox:latest, name=lc1, x=y)")
    short = ev("events", "--stream=false", "--no-trunc=false", "--filter", "container=lc1",
               "--filter", "event=create").stdout  # fmt: skip
    assert f" container create {cid[:12]} (image=" in short


def test_verbs_write_their_events(ev: Scopebox) -> None:
    ev("run", "-d", "--name", "vb", "busybox", "sleep", "300")
    for verb in (["pause", "vb"], ["unpause", "vb"], ["kill", "-s", "USR1", "vb"],
                 ["restart", "-t", "0", "vb"], ["rename", "vb", "vb2"]):  # fmt: skip
        ev(*verb)
    ev("stop", "-t", "0", "vb2")
    got = statuses(ev, "--filter", "container=vb", "--filter", "container=vb2")
    for want in ("pause", "unpause", "kill", "restart", "rename", "stop"):
        assert want in got, (want, got)
    assert got.count("start") == 2 and got.count("died") == 2
    # the monitor's died after a rename of the running container has the new name
    last = events(ev, "--filter", "container=vb2", "--filter", "event=died")
    assert [e["Name"] for e in last] == ["vb2"]
    tmpl = ev("events", "--stream=false", "--filter", "event=rename", "--format",
              "{{.Type}}|{{.Status}}|{{.Name}}|{{.ContainerExitCode}}").stdout  # fmt: skip
    assert tmpl.splitlines() == ["container|rename|vb2|0"]


def test_images_volumes_networks_pods(ev: Scopebox) -> None:
    ev("tag", "busybox", "localhost/evtag:v1")
    ev("rmi", "localhost/evtag:v1")
    assert [(e["Status"], e["Name"]) for e in events(ev, "--filter", "image=localhost/evtag:v1")
            ] == [("tag", "localhost/evtag:v1"), ("untag", "localhost/evtag:v1"),
                  ("remove", "localhost/evtag:v1")]  # fmt: skip
    ev("volume", "create", "evvol")
    ev("volume", "rm", "evvol")
    assert statuses(ev, "--filter", "volume=evvol") == ["create", "remove"]
    ev("pod", "create", "--name", "evpod")
    ev("run", "-d", "--pod", "evpod", "--name", "evmember", "busybox", "sleep", "300")
    ev("pod", "stop", "-t", "0", "evpod")
    ev("pod", "rm", "evpod")
    assert statuses(ev, "--filter", "pod=evpod") == ["create", "stop", "remove"]
    member = events(ev, "--filter", "container=evmember", "--filter", "event=create")[0]
    pod_id = events(ev, "--filter", "pod=evpod")[0]["ID"]
    assert member["PodID"] == pod_id


def test_network_connect_disconnect(ev: Scopebox) -> None:
    ev("network", "create", "evnet")
    cid = ev("create", "--name", "evn", "--network", "evnet", "busybox", "true").stdout.strip()
    ev("network", "disconnect", "evnet", "evn")
    ev("network", "connect", "evnet", "evn")
    got = events(ev, "--filter", "network=evnet")
    assert [(e["Type"], e["Status"], e["ID"], e["network"]) for e in got] == [
        ("network", "disconnect", cid, "evnet"), ("network", "connect", cid, "evnet")]
    ev("rm", "evn")
    ev("network", "rm", "evnet")


def test_since_until_and_bad_input(ev: Scopebox) -> None:
    ev("create", "--name", "tm1", "busybox", "true")
    assert statuses(ev, "--since", "1m", "--filter", "container=tm1") == ["create"]
    assert statuses(ev, "--until=-1m", "--filter", "container=tm1") == []
    now = time.time()
    assert statuses(ev, "--since", f"{now:.3f}", "--filter", "container=tm1") == []
    for args, msg in ((["--filter", "bogus=1"], "bogus is an invalid filter"),
                      (["--filter", "event"], "event is an invalid filter"),
                      (["--since", "yesterday"], "unable to interpret time value")):
        res = ev("events", "--stream=false", *args, check=False)
        assert res.returncode == 125 and res.stdout == ""
        assert res.stderr.count("\n") == 1 and msg in res.stderr, res.stderr
    res = ev("--events-backend", "none", "events", check=False)
    assert res.returncode == 125 and 'cannot read events with the "none" backend' in res.stderr


def test_backend_none_writes_nothing(ev: Scopebox) -> None:
    ev("--events-backend", "none", "run", "--rm", "--name", "quiet", "busybox", "true")
    assert statuses(ev, "--filter", "container=quiet") == []
    # the monitor and its exit command were told so too: no died, no cleanup


def _read_until(proc: subprocess.Popen[str], want: str | None, timeout: float) -> list[str]:
    """Lines of the follower's stdout until `want` (raw reads: a buffered reader would hold
    lines select(2) cannot see)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf, lines = b"", []
    deadline = time.monotonic() + timeout
    while (want not in lines) if want is not None else not lines:
        left = deadline - time.monotonic()
        ready = selectors.DefaultSelector()
        ready.register(fd, selectors.EVENT_READ)
        assert left > 0 and ready.select(left), f"no {want!r} within {timeout}s: {lines}"
        chunk = os.read(fd, 65536)
        assert chunk, f"events ended: {lines}"
        buf += chunk
        *done, buf = buf.split(b"\n")
        lines += [line.decode().strip() for line in done]
    return lines


def test_follow_delivers_new_events_without_polling(ev: Scopebox) -> None:
    proc = ev.popen("events", "--filter", "container=fol", "--format", "{{.Status}}")
    try:
        time.sleep(0.5)  # its watch is set up (events before that are not "new")
        ev("run", "--rm", "--name", "fol", "busybox", "sh", "-c", "exit 2", check=False)
        assert _read_until(proc, "remove", 10) == [
            "create", "init", "start", "attach", "died", "cleanup", "remove"]
        # idle: the follower blocks in select(2), it does not spin
        cpu0 = _cpu_ticks(proc.pid)
        time.sleep(1)
        assert _cpu_ticks(proc.pid) - cpu0 <= 2
    finally:
        proc.terminate()
        proc.wait(10)


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_parallel_runs_and_removals_lose_nothing(ev: Scopebox) -> None:
    names = [f"par{i}" for i in range(20)]
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda n: ev("run", "-d", "--name", n, "busybox", "sleep", "300"), names))
        list(pool.map(lambda n: ev("rm", "-f", "-t", "0", n), names))
    got = events(ev, *(f"--filter=container={n}" for n in names))
    for name in names:
        mine = [e["Status"] for e in got if e["Name"] == name]
        assert sorted(mine) == sorted(["create", "init", "start", "died", "cleanup", "remove"]
                                      ), (name, mine)  # fmt: skip
    log = Path(ev.runroot, "events", "events.log")
    assert all(json.loads(line) for line in log.read_text().splitlines())


def test_health_status_from_the_monitor(ev: Scopebox) -> None:
    ev("run", "-d", "--name", "hl", "--health-cmd", "true", "--health-interval", "1s",
       "busybox", "sleep", "300")  # fmt: skip
    proc = ev.popen("events", "--since", "1m", "--filter", "container=hl", "--filter",
                    "event=health_status", "--format", "{{.Status}} {{.HealthStatus}}")
    try:
        _read_until(proc, "health_status healthy", 20)
    finally:
        proc.terminate()
        proc.wait(10)
    line = events(ev, "--filter", "event=health_status", "--filter", "container=hl")[0]
    assert line["health_status"] == "healthy" and "PodID" not in line
    ev("rm", "-f", "-t", "0", "hl")


def test_run_d_to_event_latency(ev: Scopebox) -> None:
    """issue 14's figure: from the `start` event's write (its Time) to a follower printing it
    (the issue asks <= 50 ms; asserted loosely on a shared machine, the figure is printed)."""
    from supervisor.events.record import parse_rfc3339nano

    proc = ev.popen("events", "--filter", "container=lat", "--filter", "event=start",
                    "--format", "json")
    try:
        time.sleep(0.5)
        run = ev.popen("run", "-d", "--name", "lat", "busybox", "sleep", "300")
        line = _read_until(proc, None, 10)[0]
        seen = time.time_ns()
        assert run.wait(60) == 0
        delay_ms = (seen - parse_rfc3339nano(json.loads(line)["Time"])) / 1e6
        print(f"start event written -> line read by a follower: {delay_ms:.1f} ms")
        assert delay_ms < 500
    finally:
        proc.terminate()
        proc.wait(10)


def test_volumes_made_and_released_by_containers(ev: Scopebox) -> None:
    """A named and an anonymous volume made by `run -v`; `--rm` takes the anonymous one."""
    ev("run", "--rm", "--name", "volrun", "-v", "evnamed:/data", "-v", "/anon", "busybox",
       "true")  # fmt: skip
    got = events(ev, "--filter", "type=volume", "--since", "1m")
    named = [e["Status"] for e in got if e["Name"] == "evnamed"]
    anon = {str(e["Name"]) for e in got if len(str(e["Name"])) == 64}  # not other tests'

    assert named == ["create"] and len(anon) == 1
    assert [e["Status"] for e in got if e["Name"] in anon] == ["create", "remove"]
    ev("volume", "prune", "-f")
    assert statuses(ev, "--filter", "volume=evnamed") == ["create", "remove", "prune"]


def test_mount_and_commit(ev: Scopebox) -> None:
    ev("create", "--name", "mc", "busybox", "true")
    ev("mount", "mc")
    ev("umount", "mc")
    ev("commit", "-q", "mc", "localhost/evcommit:v1")
    assert statuses(ev, "--filter", "container=mc") == ["create", "mount", "commit"]
    ev("rm", "mc")
    ev("rmi", "localhost/evcommit:v1")


def test_format_with_an_unknown_field_is_one_error(ev: Scopebox) -> None:
    ev("create", "--name", "fmtbad", "busybox", "true")
    res = ev("events", "--stream=false", "--filter", "container=fmtbad", "--format", "{{.Foo}}",
             check=False)  # fmt: skip
    assert res.returncode == 125 and res.stdout == "" and res.stderr.count("\n") == 1
    assert "Foo" in res.stderr
    ev("rm", "fmtbad")


def test_image_transports_and_their_events(ev: Scopebox, tmp_path: Path) -> None:
    """Podman's 090-events `image events`: push to a `dir:` directory (containers/image's
    layout, which skopeo reads), save to a file, pull `docker-archive:FILE`; the events name
    the destination or the reference as typed, a tag's name too."""
    image_id = ev("image", "inspect", "--format", "{{.ID}}", "busybox").stdout.strip()
    pushed, ball = tmp_path / "dir", tmp_path / "ball.tar"
    pushed.mkdir()
    ev("push", "busybox", f"dir:{pushed}")
    assert (pushed / "version").read_text() == "Directory Transport Version: 1.1\n"
    manifest = json.loads((pushed / "manifest.json").read_text())
    for blob in [manifest["config"], *manifest["layers"]]:
        assert (pushed / blob["digest"].removeprefix("sha256:")).stat().st_size == blob["size"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "mine.txt").write_text("a user's file")
    res = ev("push", "busybox", f"dir:{tmp_path / 'other'}", check=False)
    assert res.returncode == 125 and "not empty" in res.stderr
    assert (tmp_path / "other" / "mine.txt").read_text() == "a user's file"
    ev("save", "busybox", "-o", str(ball))
    assert ev("pull", f"docker-archive:{ball}").stdout.strip().endswith(image_id)
    ev("tag", "busybox", "evshort")
    ev("rmi", "evshort")
    got = [(e["Status"], e.get("ID", ""), e["Name"]) for e in events(ev, "--filter", "type=image")]
    assert ("push", image_id, f"dir:{pushed}") in got
    assert ("save", image_id, str(ball)) in got
    assert ("pull", "", f"docker-archive:{ball}") in got
    assert ("tag", image_id, "evshort") in got
