"""Node.js clients of `scopebox system service`: dockerode 5, the JavaScript Docker SDK
(tests/data/node-clients/flow.js does what such a program does: create, start, wait, logs,
`run` with its attach, exec, archive in and out, stats, top, stop, remove, networks, volumes,
events, errors, and reports what it saw), and the Dev Containers CLI (what VS Code's dev
containers run), which drives the docker CLI. Both from npm, cached by tests/install-deps.sh."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clihelp import REPO, Scopebox
from tests.host.test_service_host import DOCKER, Service

NODE_CLIENTS = "/var/cache/scopebox-tests/node-clients"
DEVCONTAINER = f"{NODE_CLIENTS}/node_modules/.bin/devcontainer"


@pytest.fixture(scope="module")
def svc(sb: Scopebox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if shutil.which("node") is None or not os.access(DEVCONTAINER, os.X_OK):
        pytest.skip(f"no node or no clients in {NODE_CLIENTS}: run tests/install-deps.sh")
    service = Service(sb, tmp_path_factory.mktemp("node") / "api.sock", 0)
    yield service
    # SIGTERM ends it at once, though the program left an events and a logs follow in the
    # middle (their worker threads once waited on for ever: a service that never exited)
    service.stop()
    assert service.proc.returncode == 0, service.log.read_text()[-3000:]


def test_dockerode_program(svc: Service, sb: Scopebox) -> None:
    res = subprocess.run(
        ["node", str(REPO / "tests/data/node-clients/flow.js"), str(svc.sock)],
        env={"PATH": os.environ["PATH"], "NODE_PATH": f"{NODE_CLIENTS}/node_modules"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, (res.stderr, svc.log.read_text()[-3000:])
    got = json.loads(res.stdout)
    assert (got["ping"], got["apiVersion"]) == ("OK", "1.41")
    assert "busybox:latest" in got["images"] or "localhost/busybox:latest" in got["images"]
    assert got["wait"] == {"StatusCode": 3, "Error": None}
    assert got["logs"] == {"stdout": "out\n", "stderr": "err\n"}
    assert got["inspect"] == {"name": "/dn-one", "exitCode": 3, "status": "exited",
                              "label": "1"}  # fmt: skip
    assert got["list"] == ["/dn-one exited"]
    assert got["removedStatus"] == 404
    # `run` attaches before it starts, on a terminal (dockerode's default Tty)
    assert got["run"]["statusCode"] == 0
    assert got["run"]["output"].startswith("ran on /dev/pts/"), got["run"]
    assert got["followFirst"] == {"stdout": "up\n", "stderr": ""}
    assert got["exec"] == {"stdout": "ex\n", "stderr": "ex2\n"}
    assert got["execExit"] == 4
    assert got["archive"] == {"hello.txt": "from dockerode\n"}
    assert got["statsMemory"] is True
    assert "PID" in got["top"]
    assert got["stoppedStatus"] == "exited"
    assert got["stopAgain"] == 304  # Docker's "not modified" for a stopped container
    assert (got["network"], got["volume"]) == ("dn-net", "dn-vol")
    assert (got["missing"], got["badImage"]) == (404, 404)
    # Podman 4.3's names on the compat endpoint too: "died" and "remove" (Docker: die, destroy)
    for event in ("create dn-one", "start dn-one", "died dn-one", "remove dn-one",
                  "start dn-long", "died dn-long"):  # fmt: skip
        assert event in got["events"], got["events"]
    # nothing left: containers, networks, volumes
    assert sb("ps", "-aq").stdout == ""
    assert "dn-net" not in sb("network", "ls", "--format", "{{.Name}}").stdout
    assert sb("volume", "ls", "-q").stdout == ""


def test_dev_containers_cli(svc: Service, sb: Scopebox, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / ".devcontainer").mkdir(parents=True)
    (ws / ".devcontainer/devcontainer.json").write_text(json.dumps({
        "name": "sb-dev", "image": "busybox",
        "postCreateCommand": "echo created once >> /tmp/post-create"}))  # fmt: skip
    (ws / "file.txt").write_text("from the workspace\n")
    env = {"PATH": f"{os.path.dirname(DOCKER)}:{os.environ['PATH']}", "HOME": str(tmp_path),
           "DOCKER_HOST": f"unix://{svc.sock}", "TMPDIR": str(tmp_path)}  # its cache: not /tmp

    def devcontainer(verb: str, *args: str) -> subprocess.CompletedProcess[str]:
        res = subprocess.run([DEVCONTAINER, verb, "--workspace-folder", str(ws), *args],
                             env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
        assert res.returncode == 0, (verb, res.stdout, res.stderr, svc.log.read_text()[-3000:])
        return res

    try:
        up = json.loads(devcontainer("up").stdout.splitlines()[-1])
        assert up["outcome"] == "success", up
        cid = up["containerId"]
        assert sb("inspect", "--format", "{{.State.Status}}", cid).stdout == "running\n"
        # a second `up` finds the container by its labels (docker ps --filter label=...)
        again = json.loads(devcontainer("up").stdout.splitlines()[-1])
        assert again["containerId"] == cid
        out = devcontainer("exec", "sh", "-c",
                           "cat /tmp/post-create; cat file.txt; pwd").stdout  # fmt: skip
        assert out == f"created once\nfrom the workspace\n/workspaces/{ws.name}\n"
    finally:
        sb("rm", "-f", "-a")
    assert sb("ps", "-aq").stdout == ""
