"""dockerode 5, the JavaScript Docker SDK (Node.js programs, IDE tooling), against
`scopebox system service`: tests/data/dockerode/flow.js does what such a program does
(create, start, wait, logs, `run` with its attach, exec, archive in and out, stats, top, stop,
remove, networks, volumes, events, errors) and reports what it saw; this test checks it and
that nothing is left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.clihelp import REPO, Scopebox
from tests.host.test_service_host import Service

DOCKERODE = "/var/cache/scopebox-tests/dockerode"


@pytest.fixture(scope="module")
def svc(sb: Scopebox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if shutil.which("node") is None or not os.path.isdir(f"{DOCKERODE}/node_modules/dockerode"):
        pytest.skip(f"no node or no dockerode in {DOCKERODE}: run tests/install-deps.sh")
    service = Service(sb, tmp_path_factory.mktemp("dockerode") / "api.sock", 0)
    yield service
    # SIGTERM ends it at once, though the program left an events and a logs follow in the
    # middle (their worker threads once waited on for ever: a service that never exited)
    service.stop()
    assert service.proc.returncode == 0, service.log.read_text()[-3000:]


def test_dockerode_program(svc: Service, sb: Scopebox) -> None:
    res = subprocess.run(
        ["node", str(REPO / "tests/data/dockerode/flow.js"), str(svc.sock)],
        env={"PATH": os.environ["PATH"], "NODE_PATH": f"{DOCKERODE}/node_modules"},
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
