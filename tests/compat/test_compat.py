"""Podman 4.3 as the oracle: each scenario runs on both engines and what a script would read
must agree, or differ exactly as docs/DIFFERENCES.md says."""

from __future__ import annotations

import json
import shlex
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.compat.harness import REPO, Engine, Result, flat_types, json_shape_at, missing_keys
from tests.compat.scenarios import ALL, KEY_SKIP, Case

pytestmark = [pytest.mark.host, pytest.mark.compat]


def _run(eng: Engine, case: Case, name: str) -> Result:
    for line in case.setup:
        res = eng(*shlex.split(line.replace("{u}", name)))
        assert res.rc == 0, (eng.name, line, res)
    try:
        return eng(*shlex.split(case.argv.replace("{u}", name)))
    finally:
        if "generate systemd" in case.argv and "--files" in case.argv:  # written in REPO
            for unit in REPO.glob("container-*.service"):
                unit.unlink()
        if "{u}" in case.argv or any("{u}" in s for s in case.setup):
            _clean(eng, " ".join((case.argv, *case.setup)), name)


def _clean(eng: Engine, text: str, name: str) -> None:
    """Remove what the scenario's calls can have made under its name: a removal per kind of
    object its text mentions, not every kind each time (two engines' CLI calls are most of the
    tier's CPU). What is missed shows: `ps` here, and the engines fixture's check at the end."""
    # One name per call: Podman 4.3 removes nothing when one of several is missing.
    twin = "{u}-b" in text or "clone" in text  # a copy named NAME-b
    if "pod" in text or "kube" in text:  # pods (issue 15): members too
        eng("pod", "rm", "-f", "-i", "-t", "0", name)
        if twin:
            eng("pod", "rm", "-f", "-i", "-t", "0", f"{name}-b")  # helper podsx: pod clone
    eng("rm", "-f", "-t", "0", name)
    if twin:
        eng("rm", "-f", "-t", "0", f"{name}-b")
    if any(word in text for word in ("volume", "-v", "--mount", "{u}:")):  # volumes (issue 14)
        eng("volume", "rm", "-f", name)
    if "manifest" in text:  # verbs: manifest lists
        eng("manifest", "rm", name)
    if "secret" in text:  # secrets
        eng("secret", "rm", name)
    if "network create" in text:  # networks (issue 13)
        eng("network", "rm", "-f", name)
    if any(word in text for word in ("/{u}", "{u}:", "commit", "tag", "import", "load")):
        eng("rmi", "-f", "-i", f"localhost/{name}:v1", f"localhost/{name}:V1",
            f"localhost/{name}:UPPER_Case")
    left = eng("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}").out
    assert left == "", (eng.name, "left behind", left)


def _view(case: Case, res: Result) -> dict[str, object]:
    view: dict[str, object] = {"rc": res.rc}
    if case.json and res.rc == 0:
        view["json"] = json_shape_at(res.raw_out, case.json)
    elif "out" in case.compare:
        view["out"] = res.out
        # the spacing itself: each table exactly as Podman's writer aligns it (`out` has the
        # values normalised and the tables aligned again around them)
        view["aligned"] = res.aligned
    if "err" in case.compare:
        view["err"] = res.err
    if "labels" in case.compare:  # the layout of `Label:  value` lines, not the values
        view["labels"] = [line.split(":")[0] for line in res.out.splitlines()]
    if "tail" in case.compare:
        view["tail"] = res.err.rsplit(": ", 1)[-1]
    return view


# The engines keep private stores, so a scenario runs on both at once (about half the tier's
# time on two cores); one naming a host path of its own (`/tmp/{u}...`) or writing unit files
# into the checkout (`generate systemd --files`) runs one engine after the other, as both
# would write the same file.
_POOL = ThreadPoolExecutor(max_workers=1)


def _shares_host_paths(case: Case) -> bool:
    return any("/tmp/{u}" in line or "--files" in line for line in (case.argv, *case.setup))


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_scenario(engines: dict[str, Engine], case: Case) -> None:
    name = f"c{uuid.uuid4().hex[:8]}"
    podmans_run = None
    if case.diff is None and not _shares_host_paths(case):
        podmans_run = _POOL.submit(_run, engines["podman"], case, name)
    try:
        mine = _run(engines["scopebox"], case, name)
    except BaseException:
        if podmans_run is not None:
            podmans_run.exception()  # waits: the next scenario must not overlap this one
        raise
    if case.diff is not None:
        assert case.want is not None
        rc, text = case.want
        text = text.replace("{u}", name)
        seen = mine.raw_out == text[1:] if text.startswith("=") else text in mine.raw_out + mine.err
        assert (mine.rc, seen) == (rc, True), (case.diff, mine)
        return
    theirs = podmans_run.result() if podmans_run is not None else _run(
        engines["podman"], case, name)
    if "keys" in case.compare:  # every key Podman shows, with its type (netrun: networks)
        assert (mine.rc, theirs.rc) == (0, 0), (mine, theirs)
        ours_t = flat_types(json.loads(mine.raw_out))
        assert missing_keys(flat_types(json.loads(theirs.raw_out)), ours_t, KEY_SKIP) == {}
        return
    ours, podmans = _view(case, mine), _view(case, theirs)
    assert ours == podmans, f"\nscopebox: {ours}\npodman:   {podmans}"

