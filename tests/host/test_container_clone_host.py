"""`container clone`: a copy from the original's stored options, with other limits, name,
image or pod; --destroy, --run; a pod member's copy joins the pod."""

from __future__ import annotations

from tests.clihelp import Scopebox


def test_clone(sb: Scopebox) -> None:
    sb("create", "--name", "cl-orig", "-m", "64m", "--label", "k=v", "busybox", "sleep", "100")
    try:
        first = sb("container", "clone", "cl-orig").stdout.strip()
        assert sb("container", "clone", "cl-orig").stdout.strip() != first
        names = sb("ps", "-a", "--filter", "name=^cl-", "--format", "{{.Names}}").stdout.split()
        assert sorted(names) == ["cl-orig", "cl-orig-clone", "cl-orig-clone1"]
        sb("container", "clone", "--memory", "128m", "--name", "cl-two", "cl-orig")
        shown = sb("inspect", "--format", "{{.HostConfig.Memory}} {{.Config.Labels}}",
                   "cl-two", "cl-orig-clone").stdout  # fmt: skip
        assert shown == "134217728 map[k:v]\n67108864 map[k:v]\n"
        res = sb("container", "clone", "-f", "cl-orig", check=False)
        assert (res.returncode, res.stderr) == (
            125, "Error: cannot set --force without --destroy: invalid argument\n")
        sb("container", "clone", "--run", "--destroy", "cl-orig", "cl-three")
        assert sb("container", "exists", "cl-orig", check=False).returncode == 1
        assert sb("inspect", "--format", "{{.State.Status}}", "cl-three").stdout == "running\n"
        # a pod member's copy is the pod's too
        sb("pod", "create", "--name", "cl-pod")
        sb("create", "--pod", "cl-pod", "--name", "cl-member", "busybox", "sleep", "100")
        sb("container", "clone", "--run", "cl-member", "cl-member2")
        pods = sb("ps", "-a", "--pod", "--filter", "name=^cl-member", "--format",
                  "{{.Names}} {{.PodName}} {{.State}}").stdout.splitlines()  # fmt: skip
        assert sorted(pods) == ["cl-member cl-pod created", "cl-member2 cl-pod running"]
        res = sb("container", "clone", "nosuch", check=False)
        assert res.returncode == 125 and "no such container" in res.stderr
    finally:
        sb("pod", "rm", "-f", "-i", "-t", "0", "cl-pod")
        for name in ("cl-orig", "cl-orig-clone", "cl-orig-clone1", "cl-two", "cl-three"):
            sb("rm", "-f", "-i", "-t", "0", name)
