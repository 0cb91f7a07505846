"""The DNS responder's socket activation under a real systemd (PID 1 of the test bed, whose
network namespace is private): a query starts the service, it exits when idle and the socket
stays; when the network has no container left the socket unit goes too.

Run inside the bed:
    python tests/testbed.py run -- .venv/bin/pytest -q -m systemd tests/system/test_dns_systemd.py
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supervisor.network import kernel
from supervisor.network.db import CreateSpec, NetworkDB
from supervisor.network.dns import lifecycle
from supervisor.paths import Paths
from supervisor.store import Store
from tests.host.test_network_dns import query

pytestmark = pytest.mark.systemd
WEB, DB = "e5" * 32, "f6" * 32


def state(unit: str) -> str:
    return subprocess.run(["systemctl", "is-active", unit], capture_output=True,
                          text=True).stdout.strip()


def main_pid(unit: str) -> int:
    out = subprocess.run(["systemctl", "show", "-P", "MainPID", unit], capture_output=True,
                         text=True).stdout
    return int(out.strip() or 0)


def wait_state(unit: str, wanted: set[str], timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while (now := state(unit)) not in wanted:
        assert time.monotonic() < deadline, f"{unit} is {now}, not {wanted}"
        time.sleep(0.05)
    return now


@pytest.fixture
def bed(tmp_path: Path) -> Iterator[tuple[Paths, NetworkDB, dict[str, kernel.Plan]]]:
    paths = Paths(str(tmp_path / "root"), str(tmp_path / "run"))
    store = Store(paths)
    ndb = NetworkDB(store)
    ndb.create(CreateSpec(name="sdnet", subnets=["10.91.0.0/24"]), [])
    plans: dict[str, kernel.Plan] = {}
    for cid, name in ((WEB, "web"), (DB, "db")):
        plans[cid] = kernel.make_plan(ndb, cid, str(tmp_path / "ns" / cid), ["sdnet"])
        with store.transaction() as db:
            db.execute("INSERT INTO containers (id, name, image_id, image_name, created,"
                       " status, config) VALUES (?, ?, '', '', '', 'running', '{}')",
                       (cid, name))
        kernel.setup(plans[cid], paths.locks)
    yield paths, ndb, plans
    for cid, plan in plans.items():
        kernel.teardown(plan, paths.locks)
        ndb.release(cid)
    lifecycle.release(paths, "sdnet")
    kernel.remove_network(ndb.get("sdnet"), paths.locks)
    store.close()


def test_query_activates_idle_exits_last_container_removes_socket(
        bed: tuple[Paths, NetworkDB, dict[str, kernel.Plan]]) -> None:
    paths, ndb, plans = bed
    assert lifecycle.mode() == "systemd"
    unit = lifecycle.unit_name("sdnet")
    lifecycle.ensure(paths, "sdnet", idle=1.0)
    assert state(f"{unit}.socket") == "active"
    assert state(f"{unit}.service") == "inactive"  # no query yet: no process
    lifecycle.ensure(paths, "sdnet", idle=1.0)  # idempotent

    web_ns = plans[WEB].netns
    t0 = time.monotonic()
    assert query(web_ns, "10.91.0.1", "db") == "NOERROR 10.91.0.3"
    first = time.monotonic() - t0
    assert state(f"{unit}.service") == "active" and main_pid(f"{unit}.service") > 0
    assert query(web_ns, "10.91.0.1", "web.dns.podman", proto="tcp") == "NOERROR 10.91.0.2"
    print(f"\nfirst query after activation (incl. nsenter + client start): {first:.3f} s")

    wait_state(f"{unit}.service", {"inactive"})  # idle: the process is gone...
    assert state(f"{unit}.socket") == "active"  # ...the socket waits for the next query
    assert query(web_ns, "10.91.0.1", DB[:12]) == "NOERROR 10.91.0.3"  # activates again

    kernel.teardown(plans.pop(WEB), paths.locks)
    ndb.release(WEB)
    lifecycle.release(paths, "sdnet")  # db is still there
    assert state(f"{unit}.socket") == "active"
    kernel.teardown(plans.pop(DB), paths.locks)
    ndb.release(DB)
    lifecycle.release(paths, "sdnet")
    assert state(f"{unit}.socket") == "inactive"
    assert subprocess.run(["systemctl", "cat", f"{unit}.socket"],
                          capture_output=True).returncode != 0  # the transient unit is gone


def test_idle_service_with_no_container_left_stops_its_socket(
        bed: tuple[Paths, NetworkDB, dict[str, kernel.Plan]]) -> None:
    """The monitors were kill -9ed: no release() ran; the responder cleans up after itself."""
    paths, ndb, plans = bed
    unit = lifecycle.unit_name("sdnet")
    lifecycle.ensure(paths, "sdnet", idle=0.5)
    web_ns = plans[WEB].netns
    assert query(web_ns, "10.91.0.1", "web").startswith("NOERROR")
    for cid in list(plans):
        kernel.teardown(plans.pop(cid), paths.locks)
        ndb.release(cid)
    wait_state(f"{unit}.socket", {"inactive", "unknown", ""})
