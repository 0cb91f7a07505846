"""Pods with real containers: shared namespaces, status, the verbs, removal leaving nothing."""

from __future__ import annotations

import json
import os

from tests.clihelp import Scopebox


def _ns(sb: Scopebox, ref: str, kind: str) -> str:
    pid = sb.state(ref)["Pid"]
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def _seconds(rfc3339: str) -> float:
    from datetime import datetime

    whole, _, frac = rfc3339.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole).timestamp() + float(f"0.{frac or 0}")


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_pod_lifecycle(sb: Scopebox) -> None:
    pod_id = sb("pod", "create", "--name", "web", "--label", "tier=front").stdout.strip()
    assert len(pod_id) == 64
    assert sb("pod", "exists", "web").returncode == 0
    ps = json.loads(sb("pod", "ps", "--format", "json").stdout)
    assert [p["Name"] for p in ps] == ["web"] and ps[0]["Status"] == "Created"
    assert ps[0]["Labels"] == {"tier": "front"}
    sb("run", "-d", "--pod", "web", "--name", "w1", "busybox", "sleep", "300")
    sb("run", "-d", "--pod", "web", "--name", "w2", "busybox", "sleep", "300")
    doc = json.loads(sb("pod", "inspect", "web").stdout)
    infra = doc["InfraContainerID"]
    assert doc["State"] == "Running" and doc["NumContainers"] == 3
    assert doc["SharedNamespaces"] == ["uts", "ipc", "net"]
    # the kernel's namespaces: net, ipc, uts are the infra's; pid and mnt are not
    for kind in ("net", "ipc", "uts"):
        assert _ns(sb, "w1", kind) == _ns(sb, infra, kind) == _ns(sb, "w2", kind)
    for kind in ("pid", "mnt"):
        assert _ns(sb, "w1", kind) != _ns(sb, infra, kind)
    assert sb("exec", "w1", "hostname").stdout.strip() == "web"
    # the infra runs catatonit, the pause process
    with open(f"/proc/{sb.state(infra)['Pid']}/cmdline") as f:
        assert f.read().split("\0")[0] == "/catatonit"
    assert "w1" in sb("ps", "--filter", "pod=web", "--format", "{{.Names}}").stdout
    assert sb("ps", "--filter", "pod=nosuch", "-q").stdout == ""
    # one member exits: Degraded
    sb("stop", "-t", "0", "w2")
    assert json.loads(sb("pod", "inspect", "web").stdout)["State"] == "Degraded"
    # rm without -f refuses and removes nothing
    res = sb("pod", "rm", "web", check=False)
    assert res.returncode == 125 and "cannot be removed without force" in res.stderr
    assert sb("pod", "exists", "web").returncode == 0
    sb("pod", "stop", "-t", "0", "web")
    assert json.loads(sb("pod", "inspect", "web").stdout)["State"] == "Exited"
    sb("pod", "start", "web")
    assert json.loads(sb("pod", "inspect", "web").stdout)["State"] == "Running"
    sb("pod", "pause", "web")
    assert json.loads(sb("pod", "inspect", "web").stdout)["State"] == "Paused"
    sb("pod", "unpause", "web")
    out = sb("pod", "rm", "-f", "-t", "0", "web").stdout.strip()
    assert out == pod_id
    assert sb("ps", "-aq").stdout == ""
    assert sb("pod", "ps", "-q").stdout == ""
    assert not os.listdir(os.path.join(sb.runroot, "containers"))


def test_member_starts_the_infra_and_new_pod(sb: Scopebox) -> None:
    sb("create", "--pod", "new:lazy", "--name", "l1", "busybox", "sleep", "300")
    doc = json.loads(sb("pod", "inspect", "lazy").stdout)
    assert doc["State"] == "Created"
    sb("start", "l1")  # its infra starts first: the namespaces must exist
    doc = json.loads(sb("pod", "inspect", "lazy").stdout)
    assert [c["State"] for c in doc["Containers"]] == ["running", "running"]
    sb("pod", "rm", "-f", "-t", "0", "lazy")
    assert sb("ps", "-aq").stdout == ""
    # No --name: a generated name (adjective_surname) is also the infra's hostname.
    pod_id = sb("pod", "create").stdout.strip()
    name = json.loads(sb("pod", "inspect", pod_id).stdout)["Name"]
    assert "_" in name
    assert sb("run", "--rm", "--pod", pod_id, "busybox", "hostname").stdout.strip() == name
    sb("pod", "rm", "-f", "-t", "0", pod_id)


def test_errors(sb: Scopebox) -> None:
    res = sb("pod", "rm", "nosuch", check=False)
    assert res.returncode == 1
    assert res.stderr == "Error: no pod with name or ID nosuch found: no such pod\n"
    assert sb("pod", "rm", "--ignore", "nosuch", check=False).returncode == 0
    assert sb("pod", "exists", "nosuch", check=False).returncode == 1
    res = sb("pod", "inspect", "nosuch", check=False)
    assert res.returncode == 125 and "no such pod nosuch" in res.stderr
    res = sb("pod", "create", "--share", "mnt", check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1
    sb("pod", "create", "--name", "dup")
    res = sb("pod", "create", "--name", "dup", check=False)
    assert res.returncode == 125 and "already in use" in res.stderr
    res = sb("run", "--pod", "dup", "-p", "8080:80", "busybox", "true", check=False)
    assert res.returncode == 125 and "must be defined when the pod is created" in res.stderr
    res = sb("run", "--pod", "nosuch", "busybox", "true", check=False)
    assert res.returncode == 125 and "no such pod" in res.stderr
    sb("pod", "create", "--name", "dup", "--replace")
    assert len(sb("pod", "ps", "-q").stdout.split()) == 1
    assert sb("pod", "prune", "-f").stdout == ""  # a created pod is kept, as Podman's
    sb("pod", "start", "dup")
    sb("pod", "stop", "-t", "0", "dup")  # exited: pruned
    assert sb("pod", "prune", "-f").stdout.strip() != ""
    assert sb("pod", "ps", "-q").stdout == "" and sb("ps", "-aq").stdout == ""


def test_rm_force_removes_members_together(sb: Scopebox) -> None:
    """issue 15: `pod rm -f` kills the members at once and removes them itself; refused as a
    whole, before anything is killed, while a container outside the pod joins a member."""
    sb("pod", "create", "--name", "tog")
    for name in ("tog1", "tog2"):
        sb("run", "-d", "--pod", "tog", "--name", name, "busybox", "sleep", "300")
    sb("run", "-d", "--network", "container:tog1", "--name", "outside", "busybox", "sleep", "300")
    res = sb("pod", "rm", "-f", "-t", "0", "tog", check=False)
    assert res.returncode == 125 and "has dependent containers" in res.stderr
    assert res.stderr.count("\n") == 1
    doc = json.loads(sb("pod", "inspect", "tog").stdout)
    assert doc["State"] == "Running" and doc["NumContainers"] == 3  # nothing was killed
    pids = [sb.state(c["Id"])[key] for c in doc["Containers"] for key in ("Pid", "ConmonPid")]
    sb("rm", "-f", "-t", "0", "outside")
    sb("pod", "rm", "-f", "-t", "0", "tog")
    # every container and monitor has ended when it returns (the infra has no monitor: 0;
    # zombies wait for this sandbox's PID 1 to reap them)
    assert [p for p in pids if p and _running(int(str(p)))] == []
    assert sb("ps", "-aq").stdout == "" and sb("pod", "ps", "-q").stdout == ""
    assert not os.listdir(os.path.join(sb.runroot, "containers"))
    assert not os.listdir(os.path.join(sb.runroot, "runc"))  # the runtime's states


def test_pod_stop_grace_periods_run_together(sb: Scopebox) -> None:
    """issue 15: `pod stop -t N` signals every member at once (Podman's), so members that
    ignore SIGTERM are killed together after N seconds, not one N after another."""
    sb("pod", "create", "--name", "grace")
    for name in ("g1", "g2"):  # sleep as PID 1 ignores SIGTERM
        sb("run", "-d", "--pod", "grace", "--name", name, "busybox", "sleep", "300")
    sb("run", "-d", "--pod", "grace", "--name", "g3", "busybox", "sh", "-c",
       "trap 'exit 3' TERM; sleep 300 & wait")
    sb("pod", "stop", "-t", "2", "grace")
    docs = json.loads(sb("inspect", "g1", "g2", "g3").stdout)
    assert [d["State"]["ExitCode"] for d in docs] == [137, 137, 3]
    ended = [_seconds(d["State"]["FinishedAt"]) for d in docs[:2]]
    assert abs(ended[0] - ended[1]) < 1.5  # one after another: >= 2 s apart
    assert json.loads(sb("pod", "inspect", "grace").stdout)["State"] == "Exited"
    sb("pod", "rm", "grace")
    assert sb("ps", "-aq").stdout == ""


def test_pod_member_hosts_line_hostname_and_rm_with_only_the_infra_up(sb: Scopebox) -> None:
    """Podman 4.3 (its 500-networking test, checked beside podman): a member's /etc/hostname
    is the pod's, its /etc/hosts line is `127.0.0.1 <name>` (the pod's name is on a line
    already) and goes when it ends; `pod rm` without -f stops a pod whose members
    exited and whose infra alone runs."""
    pod_id = sb("pod", "create", "--name", "hp", "--infra-name", "hp-infra").stdout.strip()
    out = sb("run", "--pod", "hp", "--name", "hm1", "busybox", "sh", "-c",
             "cat /etc/hostname; cat /etc/hosts").stdout
    assert out.startswith("hp\n") and "127.0.0.1\thm1\n" in out
    out = sb("run", "--pod", "hp", "--name", "hm2", "busybox", "cat", "/etc/hosts").stdout
    assert "127.0.0.1\thm2\n" in out and "hm1" not in out
    assert sb("pod", "inspect", "--format", "{{.State}}", "hp").stdout.strip() == "Degraded"
    assert sb("pod", "rm", "hp").stdout.strip() == pod_id
    assert sb("pod", "exists", "hp", check=False).returncode == 1
    assert sb("ps", "-aq").stdout == ""


def _shm_mounts(sb: Scopebox) -> list[str]:
    top = os.path.join(os.path.realpath(sb.runroot), "pods") + "/"
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(top)]


def test_members_share_dev_shm_and_the_pod_takes_it_away(sb: Scopebox) -> None:
    """podbats (Podman's 200-pod.bats): one tmpfs on the host per pod sharing IPC, bound into
    the infra and each member; `pod rm` without -f stops a lone running infra and unmounts
    it; `rm --depend` of the infra takes its pod."""
    sb("pod", "create", "--name", "shm")
    sb("run", "--rm", "--pod", "shm", "busybox", "sh", "-c", "echo hi > /dev/shm/f")
    out = sb("run", "--rm", "--pod", "shm", "busybox", "cat", "/dev/shm/f").stdout
    assert out == "hi\n"
    assert len(_shm_mounts(sb)) == 1
    # a container outside the pod has its own
    res = sb("run", "--rm", "busybox", "ls", "/dev/shm/f", check=False)
    assert res.returncode == 1
    assert sb("pod", "inspect", "--format", "{{.State}}", "shm").stdout.strip() == "Running"
    sb("pod", "rm", "shm")  # only the infra runs: no -f needed
    assert _shm_mounts(sb) == [] and not os.path.exists(os.path.join(sb.runroot, "pods", "x"))
    assert sb("ps", "-aq").stdout == ""
    # a pod that does not share IPC has none
    sb("pod", "create", "--name", "noipc", "--share", "net")
    sb("run", "--rm", "--pod", "noipc", "busybox", "touch", "/dev/shm/f")
    assert _shm_mounts(sb) == []
    cid = sb("create", "--pod", "noipc", "busybox", "true").stdout.strip()
    infra = sb("pod", "inspect", "--format", "{{.InfraContainerID}}", "noipc").stdout.strip()
    out = sb("rm", "--depend", infra).stdout
    assert cid in out and infra in out
    assert sb("pod", "exists", "noipc", check=False).returncode == 1


def test_new_pod_takes_hostname_and_ports_and_share_plus(sb: Scopebox) -> None:
    """podbats: `--pod new:` gives the new pod the container's --hostname and ports (Podman's);
    a refused container leaves no pod; --share +pid adds to the default set; --force
    ignores a missing pod."""
    out = sb("run", "--rm", "--pod", "new:nh", "--hostname", "foobar", "busybox", "hostname")
    assert out.stdout == "foobar\n"
    assert sb("pod", "inspect", "--format", "{{.Hostname}}", "nh").stdout == "foobar\n"
    sb("pod", "rm", "nh")
    res = sb("create", "--pod", "new:bad", "--ip", "10.1.2.3", "busybox", "true", check=False)
    assert res.returncode == 125 and res.stderr.count("\n") == 1
    assert sb("pod", "ps", "-q").stdout == "" and sb("ps", "-aq").stdout == ""
    sb("pod", "create", "--name", "plus", "--share", "+pid")
    shared = json.loads(sb("pod", "inspect", "plus").stdout)["SharedNamespaces"]
    assert sorted(shared) == ["ipc", "net", "pid", "uts"]
    sb("pod", "rm", "plus")
    res = sb("pod", "rm", "--force", "nosuch", check=False)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_infra_command_replaces_the_infra_images_entrypoint(sb: Scopebox) -> None:
    """podbats (Podman's 200-pod.bats "AllTheOptions"): `build -t X -` reads the Containerfile
    from stdin with an empty context; --infra-command replaces that image's entrypoint."""
    sb("build", "-q", "-t", "pbinfra", "-",
       input="FROM busybox\nENTRYPOINT [\"/original-should-be-overridden\"]\n")
    sb("pod", "create", "--name", "ic", "--infra-image", "pbinfra", "--infra-command", "/bin/sh")
    infra = sb("pod", "inspect", "--format", "{{(index .Containers 0).ID}}", "ic").stdout.strip()
    doc = json.loads(sb("inspect", infra).stdout)[0]
    assert doc["Config"]["Entrypoint"] == ["/bin/sh"] and doc["Config"]["Cmd"] in (None, [])
    sb("pod", "rm", "ic")
    sb("rmi", "pbinfra")


def test_the_default_infra_uses_the_local_pause_image(sb: Scopebox) -> None:
    """Podman's `localhost/podman-pause:VERSION-BUILT`: listed, the infra's image, refused by
    `rmi` while a pod uses it; `rmi -f` takes the pods with it; the next pod makes it again."""
    version = sb("version", "--format", "{{.Server.Version}}-{{.Server.Built}}").stdout.strip()
    pause = f"localhost/podman-pause:{version}"
    sb("pod", "create", "--name", "paused-a")
    sb("create", "--pod", "paused-a", "--name", "paused-m", "busybox", "true")
    pause_id = sb("image", "inspect", "--format", "{{.Id}}", pause).stdout.strip()
    infra = sb("pod", "inspect", "--format", "{{.InfraContainerID}}", "paused-a").stdout.strip()
    got = sb("inspect", "--format", "{{.Image}} {{.ImageName}}", infra).stdout.split()
    assert got == [pause_id, pause]
    res = sb("rmi", pause, check=False)
    assert res.returncode == 2 and "image is in use by a container" in res.stderr
    res = sb("rmi", "-f", pause)
    assert res.stdout.splitlines() == [f"Untagged: {pause}", f"Deleted: {pause_id}"]
    assert sb("pod", "exists", "paused-a", check=False).returncode == 1
    assert sb("container", "exists", "paused-m", check=False).returncode == 1
    sb("pod", "create", "--name", "paused-b")
    try:
        assert sb("image", "exists", pause).returncode == 0
    finally:
        sb("pod", "rm", "-f", "paused-b")
