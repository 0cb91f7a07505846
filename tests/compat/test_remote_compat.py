"""The differential tier for Podman's own API (`/libpod/...`): the real podman 4.3 remote
client (`podman --url`) against `scopebox system service` and against `podman system
service`, on the tier's stores: the same command lines, the same exit codes, the same
output with ids and times normalised (or, for JSON, the same keys), but for the differences
listed here."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clihelp import wait_for
from tests.compat.harness import Engine, normalise

pytestmark = [pytest.mark.host, pytest.mark.compat]

# (command line, what is compared): "all" the exit code, stdout and stderr's last line; "out"
# the exit code and stdout; "rc" the exit code; "keys" the exit code and the JSON's keys
CASES: list[tuple[str, str]] = [
    ("version --format '{{.Server.APIVersion}}'", "all"),
    # the build time, as RFC 3339: the client's Built names the pause image it inspects
    ("version --format '{{.Server.Built}} {{.Server.BuiltTime}}'", "all"),
    ("run --rm busybox echo hi", "all"),
    ("run --rm busybox sh -c 'echo out; echo err >&2; exit 3'", "all"),
    ("run --rm --entrypoint echo busybox a b", "all"),
    ("run --rm -e A=1 -w /tmp -u 1:1 --hostname hh busybox sh -c 'echo $A; pwd; id -u; "
     "hostname'", "all"),
    ("run --rm -i busybox cat", "all"),
    ("run --rm -v rmt-v1:/data busybox sh -c 'echo hi > /data/f; cat /data/f'", "all"),
    ("run --rm --tmpfs /tt --read-only busybox sh -c 'grep -c /tt /proc/mounts; touch /x'",
     "out"),
    ("run --rm --memory 64m --pids-limit 50 busybox sh -c "
     "'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'", "all"),
    ("run --rm --cap-drop all --init busybox grep CapEff /proc/self/status", "all"),
    ("run --rm --uidmap 0:100000:5000 --gidmap 0:100000:5000 busybox cat /proc/self/uid_map",
     "all"),
    ("run --rm nosuchimage true", "rc"),
    # SpecGenerator keys the service once refused: image_volumes, device_cgroup_rule,
    # timeout, conmon_pid_file (030-run.bats and 060-mount.bats through podman-remote)
    ("run --rm --mount type=image,src=busybox,dst=/im busybox sh -c "
     "'cmp /bin/sh /im/bin/sh && touch /im/x'", "all"),
    ("run --rm --mount type=image,src=busybox,dst=/im,rw=true busybox touch /im/x", "all"),
    ("run --rm --device-cgroup-rule 'b 7:* rmw' --device-cgroup-rule 'c 1:3 r' busybox "
     "cat /sys/fs/cgroup/devices/devices.list", "all"),
    ("run --rm --timeout 1 busybox sleep 30", "rc"),
    ("run --rm --conmon-pidfile /tmp/rmt-conmon.pid busybox true", "all"),
    # the create's Warnings, each request's (030-run.bats #25 through podman-remote)
    ("run --rm -p 8080 --net=host busybox echo hi", "all"),
    ("run --rm -p 8080 --net=host busybox echo hi", "all"),
    ("run --rm --userns=nomap busybox true", "all"),
    # logs of a container that logs nothing fails (030-run.bats #15 through podman-remote)
    ("run --name rmt-l1 --log-driver none busybox echo hi", "all"),
    ("logs rmt-l1", "all"),
    ("rm rmt-l1", "rc"),  # 170-run-userns.bats #10, as root
    # slirp4netns' options come in network_options (500-networking.bats #5-#7)
    ("run --rm --network slirp4netns:cidr=172.26.175.0/24 busybox sh -c "
     "'ip -4 -o a show tap0 | cut -d\" \" -f7; grep -c 172.26.175.3 /etc/resolv.conf'", "all"),
    ("run -d --name rmt-r1 -l a=b busybox sleep 100", "all"),
    ("ps -a --format '{{.Names}} {{.Image}} {{.Command}} {{.Labels}} {{.Status}}' "
     "--filter name=rmt-", "all"),
    ("ps --format json --filter name=rmt-", "keys"),
    ("inspect rmt-r1", "keys"),
    ("inspect --format '{{.Config.Labels}} {{.State.Running}} {{.Config.Entrypoint}}' rmt-r1",
     "all"),
    ("exec rmt-r1 sh -c 'echo in; exit 4'", "all"),
    ("exec -w / -e Y=2 rmt-r1 sh -c 'pwd; echo $Y'", "all"),
    ("container exists rmt-r1", "all"),
    ("container exists nosuch", "all"),
    ("wait --condition running rmt-r1", "all"),
    ("top rmt-r1 pid args", "rc"),
    ("stats --no-stream --format '{{.Name}} {{.PIDs}} {{.NetIO}}' rmt-r1", "all"),
    ("stats --no-stream --format json rmt-r1", "keys"),
    # podman-remote's pause/unpause --all skips what answers Podman's "container state
    # improper" (080-pause.bats #2): a created container beside the paused one
    ("create --name rmt-pa busybox true", "rc"),
    ("pause rmt-r1", "all"),
    ("unpause rmt-pa", "all"),
    ("unpause --all", "rc"),
    ("rm rmt-pa", "rc"),
    ("stop -t 0 rmt-r1", "all"),
    ("stop -t 0 rmt-r1", "all"),
    ("wait rmt-r1", "all"),
    ("start rmt-r1", "all"),
    ("kill rmt-r1", "all"),
    ("kill rmt-r1", "rc"),  # the engine's message, as scopebox's own `kill` says it
    ("rm rmt-r1", "all"),
    ("rm rmt-r1", "all"),
    ("create --name rmt-c1 busybox sh -c 'echo one; echo two >&2'", "all"),
    ("start -a rmt-c1", "all"),
    ("logs rmt-c1", "all"),
    ("logs --tail 1 --since 1h rmt-c1", "all"),
    ("start rmt-c1", "all"),
    ("wait rmt-c1", "all"),
    ("rename rmt-c1 rmt-c2", "all"),
    ("rm -f rmt-c2", "all"),
    ("start nosuch", "all"),
    ("stop nosuch", "all"),
    ("logs nosuch", "all"),
    ("rm nosuch", "all"),
    ("rm --ignore nosuch", "all"),
    ("tag busybox localhost/rmt-x:a", "all"),
    ("images --format '{{.Repository}}:{{.Tag}}' --filter reference=localhost/rmt-x", "all"),
    ("images --format json", "keys"),
    # the list's filters but reference= (the CLI's): a label no image has lists none
    ("images --format '{{.Repository}}:{{.Tag}}' --filter reference=localhost/rmt-x "
     "--filter label=nosuch=1", "all"),
    ("images --filter bogus=1", "all"),
    ("images --filter after=nosuch", "all"),
    ("rmi localhost/rmt-x:a", "all"),
    ("rmi localhost/rmt-x:a", "all"),
    ("pod create --name rmt-p1 --label pl=1", "all"),
    ("pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}} {{.Labels}}' "
     "--filter name=rmt-p1", "all"),
    ("pod inspect rmt-p1", "keys"),
    ("run -d --name rmt-pc1 --pod rmt-p1 busybox sleep 100", "all"),
    ("pod ps --format '{{.Name}} {{.Status}} {{.NumberOfContainers}}' --filter name=rmt-p1",
     "all"),
    ("pod exists rmt-p1", "all"),
    ("pod rm -f rmt-p1", "all"),
    ("pod rm nosuch", "all"),
    ("network create --subnet 10.89.177.0/24 rmt-n1", "all"),
    ("network ls --format '{{.Name}} {{.Driver}}' --filter name=rmt-", "all"),
    ("network inspect rmt-n1", "keys"),
    ("network exists rmt-n1", "all"),
    ("network rm rmt-n1", "all"),
    ("network rm rmt-n1", "all"),
    ("volume create --label vl=1 rmt-v2", "all"),
    ("volume ls --format '{{.Name}} {{.Driver}}' --filter name=rmt-", "all"),
    ("volume inspect rmt-v2", "keys"),
    ("volume exists rmt-v2", "all"),
    ("volume rm rmt-v1 rmt-v2", "all"),
    ("volume rm rmt-v2", "all"),
    ("create --name rmt-o1 -l rmt=1 busybox true", "all"),
    ("create --name rmt-o2 -l rmt=1 busybox true", "all"),
    ("ps -a --filter name=rmt-o --format '{{.Names}}'", "all"),  # oldest first
    ("ps -a --filter name=rmt-o --last 1 --format '{{.Names}}'", "all"),
    ("container prune -f --filter label=rmt=1", "out"),
    ("ps -a --filter name=rmt-o --format '{{.Names}}'", "all"),
    ("image prune -f", "all"),
    ("run -d --name rmt-h1 --health-cmd 'exit 1' busybox sleep 60", "all"),
    ("healthcheck run rmt-h1", "out"),
    ("rm -f -t 0 rmt-h1", "all"),
    ("create --name rmt-h2 --health-cmd true --health-on-failure=restart busybox sleep 60",
     "all"),
    ("inspect --format '{{.Config.HealthcheckOnFailureAction}}' rmt-h2", "all"),
    ("rm rmt-h2", "all"),
    ("run --name rmt-e1 busybox true", "all"),
    ("events --stream=false --since 1m --filter container=rmt-e1 --filter event=died "
     "--format '{{.Type}} {{.Status}} {{.Name}}'", "all"),
    ("rm rmt-e1", "all"),
    # issue 18: the libpod routes of cp, commit, diff, export, save, init, prunes, secrets
    ("run -d --name rmt-d1 busybox sleep 100", "all"),
    ("cp /etc/os-release rmt-d1:/tmp/osr", "all"),
    ("exec rmt-d1 wc -c /tmp/osr", "all"),
    ("cp rmt-d1:/etc/passwd -", "rc"),
    ("cp rmt-d1:/nonexist /tmp/rmt-nonexist", "all"),
    ("diff rmt-d1", "rc"),
    ("top rmt-d1 pid ppid args", "all"),
    ("commit -q rmt-d1 localhost/rmt-c:1", "rc"),
    ("image exists localhost/rmt-c:1", "all"),
    ("untag localhost/rmt-c:1", "all"),
    ("image exists localhost/rmt-c:1", "all"),
    ("export -o /dev/null rmt-d1", "all"),
    ("save -o /dev/null busybox", "all"),
    ("history --format '{{.CreatedBy}}' busybox", "rc"),
    ("init rmt-d1", "all"),
    ("create --name rmt-d2 busybox true", "all"),
    ("init rmt-d2", "all"),
    ("generate kube rmt-d1", "rc"),
    ("rm -f -t 0 rmt-d1 rmt-d2", "all"),
    ("volume create --label rmtp=1 rmt-v3", "all"),
    ("volume prune -f --filter label=rmtp=1", "all"),
    ("network create --label rmtp=1 rmt-n2", "all"),
    ("network prune -f --filter label=rmtp=1", "all"),
    ("secret create --label rmt=1 rmt-s1 /etc/os-release", "rc"),
    ("secret ls --format '{{.Name}}' --filter name=rmt-s1", "all"),
    ("secret inspect --format '{{.Spec.Name}} {{.Spec.Labels}}' rmt-s1", "all"),
    ("secret rm rmt-s1", "rc"),
    ("secret inspect rmt-s1", "all"),
    # /libpod/build (podman-remote's build: its id from the last stream line)
    ("build -q -t localhost/rmt-b:1 --label rmt=1 tests/compat/build", "rc"),
    ("inspect --format '{{.Labels.rmt}}' localhost/rmt-b:1", "all"),
    ("build -q -f nosuch tests/compat/build", "rc"),
    ("rmi localhost/rmt-b:1", "rc"),
    # the pod spec: host network, infra name, labels; ps's pod columns
    ("pod create --network host --infra-name rmt-pi --label rmt=1 --name rmt-p2", "rc"),
    ("pod inspect --format '{{.InfraConfig.HostNetwork}} {{.Labels}}' rmt-p2", "all"),
    ("ps -a --pod --format '{{.Names}} {{.PodName}}' --filter pod=rmt-p2", "all"),
    ("pod rm -f rmt-p2", "rc"),
    # the routes of pod stats, update, generate systemd, checkpoint/restore (refused as
    # Podman's service refuses without CRIU), image tree, df, prune, info and manifests
    ("pod create --name rmt-p3", "rc"),
    ("run -d --name rmt-pc3 --pod rmt-p3 busybox sleep 100", "rc"),
    # (podman's order of the pod's containers varies from run to run)
    ("pod stats --no-stream --format '{{.PIDS}} {{.Pod}}' rmt-p3", "all"),
    ("pod stats --no-stream --format json rmt-p3", "keys"),
    ("pod stats --no-stream nosuch", "all"),
    ("update --cpus 0.5 --memory 64m rmt-pc3", "all"),
    ("exec rmt-pc3 cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
     "/sys/fs/cgroup/memory/memory.limit_in_bytes", "all"),
    ("update --cpus 1 nosuch", "all"),
    ("generate systemd --name rmt-pc3", "rc"),
    ("generate systemd nosuch", "all"),
    ("container checkpoint rmt-pc3", "all"),
    ("container restore rmt-pc3", "all"),
    ("container checkpoint nosuch", "all"),
    ("container restore nosuch", "all"),
    ("healthcheck run rmt-pc3", "all"),
    ("pod rm -f -t 0 rmt-p3", "rc"),
    ("image tree busybox", "rc"),
    ("image tree nosuch", "all"),
    ("system df --format '{{.Type}}'", "all"),
    ("system prune -f --filter bogus=1", "all"),
    ("info --format '{{.Host.RemoteSocket.Exists}} {{.Version.APIVersion}}'", "all"),
    ("manifest create localhost/rmt-ml", "rc"),
    ("manifest add localhost/rmt-ml containers-storage:localhost/busybox:latest", "rc"),
    ("manifest exists localhost/rmt-ml", "all"),
    ("manifest rm localhost/rmt-ml", "all"),
    ("manifest rm localhost/rmt-ml", "all"),
    ("manifest exists localhost/rmt-ml", "all"),
    ("image scp busybox", "all"),
    ("image scp busybox otherhost::", "rc"),  # refused here (no image scp), failed there
]


@pytest.fixture()
def services(engines: dict[str, Engine], tmp_path: Path) -> Iterator[dict[str, Path]]:
    socks = {name: tmp_path / f"{name}.sock" for name in engines}
    procs = {}
    for name, eng in engines.items():
        argv = [*eng.argv, "system", "service", "--time", "0", f"unix://{socks[name]}"]
        procs[name] = subprocess.Popen(argv, env={**os.environ, **eng.env},
                                       stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for name, sock in socks.items():
            wait_for(sock.exists, 20, f"{name}'s socket")
        yield socks
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(10)
        for eng in engines.values():  # what a failed case left
            eng("pod", "rm", "-f", "-t", "0", "rmt-p1", "rmt-p2", "rmt-p3")
            eng("rm", "-f", "-t", "0", "rmt-r1", "rmt-c1", "rmt-c2", "rmt-e1", "rmt-o1",
                "rmt-o2", "rmt-pa", "rmt-l1", "rmt-h1", "rmt-h2", "rmt-d1", "rmt-d2")
            eng("network", "rm", "-f", "rmt-n1", "rmt-n2")
            eng("volume", "rm", "-f", "rmt-v1", "rmt-v2", "rmt-v3")
            eng("secret", "rm", "rmt-s1")
            eng("rmi", "-i", "localhost/rmt-x:a", "localhost/rmt-c:1", "localhost/rmt-b:1")
            eng("manifest", "rm", "localhost/rmt-ml")


def remote(sock: Path, env: dict[str, str], line: str) -> tuple[int, str, str, str]:
    """`podman --url`: the exit code, stdout and stderr's last line normalised, raw stdout."""
    res = subprocess.run(["podman", "--url", f"unix://{sock}", *shlex.split(line)],
                         capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                         env={**os.environ, **env})  # fmt: skip
    last = res.stderr.strip().splitlines()[-1:] if res.stderr.strip() else []
    return res.returncode, normalise(res.stdout), normalise("".join(last)), res.stdout


def _keys(text: str) -> set[str]:
    doc: Any = json.loads(text)
    if isinstance(doc, list):
        doc = doc[0] if doc else {}
    out = set()
    for k, v in doc.items():
        out.add(k)
        if isinstance(v, dict) and k not in ("Labels", "Annotations", "Options"):
            out |= {f"{k}.{kk}" for kk in v}
    return out


KEY_DIFFERENCES = {
    # the cgroup path of a container: podman's is under its libpod_parent
    "inspect rmt-r1": ({"State.CgroupPath"}, set()),
}


def test_remote_client_beside_podman_service(engines: dict[str, Engine],
                                             services: dict[str, Path]) -> None:  # fmt: skip
    env = engines["podman"].env  # the client reads the same containers.conf for both
    problems = []
    for line, mode in CASES:
        theirs = remote(services["podman"], env, line)
        ours = remote(services["scopebox"], env, line)
        if mode == "keys":
            if ours[0] != theirs[0] or ours[0] != 0:
                problems.append(f"{line}: exit {ours[0]} here, {theirs[0]} podman: {ours[2]}")
                continue
            only_theirs, only_ours = KEY_DIFFERENCES.get(line, (set(), set()))
            ka, kb = _keys(ours[3]), _keys(theirs[3])
            if (ka - kb) - only_ours or (kb - ka) - only_theirs:
                problems.append(f"{line}: keys only here {sorted(ka - kb)}, only podman's "
                                f"{sorted(kb - ka)}")  # fmt: skip
            continue
        width = {"all": 3, "out": 2, "rc": 1}[mode]
        if ours[:width] != theirs[:width]:
            problems.append(f"{line}:\n  here   {ours[:width]}\n  podman {theirs[:width]}")
    assert problems == [], "\n".join(problems)


def test_unmapped_create_settings_refused(services: dict[str, Path]) -> None:
    """DIFFERENCES.md, Podman's API: a SpecGenerator key scopebox does not map is a 400 naming
    it (podman creates the container); a body both understand creates on both."""
    from tests.compat.test_api_compat import _call

    body = {"image": "busybox", "name": "rmt-u1", "apparmor_profile": "unconfined"}
    try:
        theirs = _call(services["podman"], "POST", "/v4.3.1/libpod/containers/create", body)
        ours = _call(services["scopebox"], "POST", "/v4.3.1/libpod/containers/create", body)
        assert theirs[0] == 201, theirs
        assert ours[0] == 400 and ours[1]["message"].endswith(": apparmor_profile"), ours
        body = {"image": "busybox", "name": "rmt-u2", "command": ["true"]}
        for sock in services.values():
            status, doc = _call(sock, "POST", "/v4.3.1/libpod/containers/create", body)
            assert status == 201 and set(doc) == {"Id", "Warnings"}, doc
    finally:
        for sock in services.values():
            for name in ("rmt-u1", "rmt-u2"):
                _call(sock, "DELETE", f"/v4.3.1/libpod/containers/{name}?force=true", None)



def test_failed_start_answers_every_time(engines: dict[str, Engine],
                                         services: dict[str, Path]) -> None:  # fmt: skip
    """A foreground run whose start fails (the command is a directory: 126): the attach's
    streams end with the failure, and the start request must still answer with it. It hung
    about every other time (the streams' end cancelled the task that held the error), so the
    run is repeated; podman's service answers the same."""
    env = engines["podman"].env
    theirs = remote(services["podman"], env, "run --name rmt-f0 busybox /etc")
    try:
        assert theirs[0] == 126, theirs
        for i in range(6):
            ours = remote(services["scopebox"], env, f"run --name rmt-f{i} busybox /etc")
            assert ours[0] == 126 and "permission denied" in ours[2], (i, ours)
    finally:
        for sock in services.values():
            remote(sock, env, "rm -f " + " ".join(f"rmt-f{i}" for i in range(6)))
