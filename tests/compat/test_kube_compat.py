"""Differential (kube, issue 15): Podman 4.3 and scopebox side by side. The same container
made on each, `generate kube` compared document to document; then each plays the other's
YAML (`--start=false`: nothing runs, nothing touches the network) and the containers made
are compared as `inspect` shows them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compat.harness import Engine

pytestmark = pytest.mark.compat

CREATE = ("create", "--name", "kc", "--network", "none", "-e", "FOO=bar", "-e", "Y=y",
          "-w", "/home", "--memory", "64m", "--cpus", "0.5", "--cap-add", "NET_ADMIN",
          "--cap-drop", "CHOWN", "--annotation", "note=hi", "--user", "0:0",
          "-v", "kvol:/data", "busybox", "sleep", "1000")


def _docs(text: str) -> list[Any]:
    import yaml

    return [d for d in yaml.safe_load_all(text) if d is not None]


def _normal(doc: Any) -> Any:
    text = json.dumps(doc, sort_keys=True)
    text = re.sub(r'"creationTimestamp": "[^"]*"', '"creationTimestamp": "T"', text)
    out = json.loads(text)
    # Podman builds the spec's env from a Go map, so its order changes from run to run
    # (CI saw Y before FOO once): env is compared as a set.
    for d in out if isinstance(out, list) else [out]:
        for ctr in d.get("spec", {}).get("containers", []):
            if "env" in ctr:
                ctr["env"] = sorted(ctr["env"], key=lambda e: e["name"])
    return out


def _inspect(eng: Engine, ref: str) -> Any:
    res = eng("inspect", ref)
    assert res.rc == 0, (eng.name, res)
    return json.loads(res.raw_out)[0]


def _view(eng: Engine, ref: str) -> dict[str, Any]:
    """What the container will run with; capabilities as changes to the engine's own default
    set (the two engines' defaults differ: Debian's containers.conf has 3 more)."""
    doc = _inspect(eng, ref)
    base = set(_inspect(eng, "kbase")["EffectiveCaps"])
    caps = set(doc["EffectiveCaps"])
    host, cfg = doc["HostConfig"], doc["Config"]
    return {
        "process": [doc["Path"], *doc["Args"]],
        "env": sorted(e for e in cfg["Env"] if e.split("=")[0] in ("FOO", "Y")),
        "workdir": cfg["WorkingDir"], "user": cfg["User"], "memory": host["Memory"],
        "nanocpus": host["NanoCpus"],
        "caps": sorted(caps - base), "drop": sorted(base - caps),
        "volumes": sorted((m["Destination"], m.get("Name", "")) for m in doc["Mounts"]),
    }


@pytest.fixture(scope="module")
def made(engines: dict[str, Engine]) -> Iterator[dict[str, str]]:
    texts = {}
    for name, eng in engines.items():
        res = eng(*CREATE)
        assert res.rc == 0, (name, res)
        assert eng("create", "--name", "kbase", "--network", "none", "busybox").rc == 0
        res = eng("generate", "kube", "kc")
        assert res.rc == 0, (name, res)
        texts[name] = res.raw_out
    yield texts
    for eng in engines.values():  # the session's engines are shared: leave them as found
        eng("rm", "-f", "-v", "kc", "kbase")
        eng("volume", "rm", "-f", "kvol")


def test_generate_kube_of_a_plain_container(engines: dict[str, Engine]) -> None:
    docs = [_normal(_docs(eng("generate", "kube", "kbase").raw_out)) for eng in engines.values()]
    assert docs[0] == docs[1]


def test_generate_kube_same_documents(made: dict[str, str]) -> None:
    ours, theirs = _docs(made["scopebox"]), _docs(made["podman"])
    assert [d["kind"] for d in ours] == [d["kind"] for d in theirs] == ["Pod"]
    assert _normal(ours) == _normal(theirs)
    # the header differs only in the program's name and version
    assert made["scopebox"].split("\n")[:3] == made["podman"].split("\n")[:3]
    assert made["scopebox"].endswith("\n\n") and made["podman"].endswith("\n\n")


def test_each_plays_the_others_yaml(engines: dict[str, Engine], made: dict[str, str],
                                    tmp_path: Path) -> None:
    views = {}
    for player, writer in (("scopebox", "podman"), ("podman", "scopebox")):
        eng = engines[player]
        path = tmp_path / f"{writer}.yaml"
        path.write_text(made[writer])
        res = eng("play", "kube", "--start=false", str(path))
        assert res.rc == 0, (player, res)
        assert re.fullmatch(r"Pod:\n<ID>\nContainer:\n<ID>\n", res.out), (player, res.out)
        names = eng("ps", "-a", "--pod", "--filter", "pod=kc-pod", "--format",
                    "{{.Names}}").out.split("\n")
        assert sorted(n for n in names if not n.endswith("-infra")) == ["kc-pod-kc"]
        views[player] = _view(eng, "kc-pod-kc")
        res = eng("play", "kube", "--down", str(path))
        assert res.rc == 0 and res.out.startswith("Pods stopped:\n<ID>\nPods removed:\n<ID>")
        assert eng("pod", "exists", "kc-pod").rc == 1
    assert views["scopebox"] == views["podman"]
    assert views["scopebox"]["process"] == ["sleep", "1000"]


def test_generate_kube_of_a_pod(engines: dict[str, Engine]) -> None:
    docs = {}
    for name, eng in engines.items():
        for cmd in (("pod", "create", "--name", "kp", "--network", "none", "--share",
                     "ipc,net,uts,pid"),
                    ("create", "--pod", "kp", "--name", "kp1", "-e", "A=1", "busybox", "top"),
                    ("create", "--pod", "kp", "--name", "kp2", "--memory", "32m", "busybox",
                     "sleep", "1")):
            res = eng(*cmd)
            assert res.rc == 0, (name, cmd, res)
        res = eng("generate", "kube", "kp")
        assert res.rc == 0, (name, res)
        text = re.sub(r"(SandboxID/kp\d): [0-9a-f]+", r"\1: ID", res.raw_out)
        docs[name] = _normal(_docs(text))
        assert eng("pod", "rm", "-f", "kp").rc == 0
    assert docs["scopebox"] == docs["podman"]
