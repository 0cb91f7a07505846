"""The differential tier's harness: the same CLI calls against podman and scopebox.

Each engine gets private storage (podman: --root/--runroot/--tmpdir and a private
containers.conf; scopebox: SCOPEBOX_ROOT/RUNROOT), so nothing touches the user's. A call's
result is what a script reads: the exit code, stdout with ids, times and sizes normalised (a
table's cells each, then the table aligned again as Podman's writer does, as such values differ
in width between the engines), and the first line of stderr with ids normalised.  Whether each
table's own spacing is exactly Podman's writer's is `Result.aligned`, compared too.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import resource
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent.parent

_HEX = re.compile(r"\b(sha256:)?[0-9a-f]{64}\b|\b[0-9a-f]{12}\b|\b[0-9a-f]{25}\b")  # 25: secrets
# an age's number and unit; its " ago" stays, as Podman's ps shows it (`Up 2 minutes ago`)
_AGO = re.compile(
    r"(\d+|About an?|Less than a) (seconds?|minutes?|hours?|days?|weeks?|months?|years?)"
)
_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?( ?[+-]\d\d:?\d\d| ?Z)?( [A-Z]+)?")
_SIZE = re.compile(r"\b\d+(\.\d+)? ?[kKMG]?B\b")


def values(text: str) -> str:
    """Ids, times, ages and sizes as placeholders: they differ between any two runs."""
    text = _HEX.sub("<ID>", text)
    text = _TIME.sub("<TIME>", text)
    text = _AGO.sub("<AGO>", text)
    return _SIZE.sub("<SIZE>", text)


def _columns(lines: list[str]) -> list[int]:
    """Where the columns of tab-aligned lines start: Podman's writer pads every cell but a
    line's last with two spaces at least, so an offset is a column's start when every line
    has two spaces (or nothing) before it and some line has a cell beginning there."""
    starts = [0]
    for c in range(2, max(map(len, lines))):
        if all(line.ljust(c)[c - 2 : c] == "  " for line in lines) and any(
            len(line) > c and line[c] != " " for line in lines
        ):
            starts.append(c)
    return starts


def _cells(line: str, starts: list[int]) -> list[str]:
    """A line's cells; one ending exactly where the next column starts had an empty last cell
    (its padding shows); the last cell keeps its trailing spaces (the writer adds none)."""
    cut = [s for s in starts if s <= len(line)] + [len(line)]
    cells = [line[a:b].rstrip(" ") for a, b in itertools.pairwise(cut)]
    cells[-1] = line[cut[-2] :]
    return cells


def realign(text: str, normalise_values: bool = False) -> str:
    """Each table (a run of lines beginning in a cell, holding two spaces somewhere) cut into
    cells at its columns and aligned again with Podman's writer (tabwriter 12/2/2); with
    `normalise_values` each cell's ids, times and sizes first become placeholders.  A
    table Podman's writer made comes back as it was, byte for byte."""
    from supervisor.format.table import tabwrite_text

    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j] and lines[j][0] != " ":
            j += 1
        block = lines[i:j]
        if block and any("  " in line for line in block):
            starts = _columns(block)
            rows = [_cells(line, starts) for line in block]
            if normalise_values:
                rows = [[values(c) for c in row] for row in rows]
            out.append(tabwrite_text("".join("\t".join(r) + "\n" for r in rows))[:-1])
        else:
            out.extend(values(line) if normalise_values else line for line in block)
        if j < len(lines):
            out.append(lines[j] if not normalise_values else values(lines[j]))
        i = j + 1
    return "\n".join(out)


def normalise(text: str) -> str:
    """What two engines' outputs must agree on: the values normalised, tables aligned again
    around them, and no line's trailing spaces (a last cell's, as of `top`'s COMMAND)."""
    return "\n".join(line.rstrip() for line in realign(text, True).splitlines())


@dataclass(frozen=True)
class Result:
    rc: int
    out: str  # normalised
    err: str  # normalised first line
    raw_out: str

    @property
    def aligned(self) -> bool:
        """stdout's tables are spaced exactly as Podman's writer spaces them."""
        return realign(self.raw_out) == self.raw_out


@dataclass
class Engine:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, input: str | None = None) -> Result:
        res = subprocess.run(
            [*self.argv, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            timeout=60,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            cwd=REPO,
        )
        first = res.stderr.strip().splitlines()[-1:] if res.stderr.strip() else []
        return Result(res.returncode, normalise(res.stdout), values("".join(first)), res.stdout)


def podman(base: Path) -> Engine:
    """podman as bench/compare.py runs it on this host: runc, cgroupfs unless systemd runs,
    file events, ulimits within the sandbox's hard limits, no network (scopebox's default)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    conf = base.parent / "containers.conf"  # scopebox reads the same file (tests/compat)
    conf.write_text(
        "[containers]\n"
        f'default_ulimits = ["nofile={hard}:{hard}", "nproc=4096:4096"]\n'
        'netns = "none"\n'
    )
    argv = ["podman", "--root", str(base / "root"), "--runroot", str(base / "run")]
    argv += ["--tmpdir", str(base / "tmp"), "--storage-driver", "vfs", "--runtime", "runc"]
    argv += ["--events-backend", "file", "--network-config-dir", str(base / "net")]
    if not os.path.exists("/run/systemd/system"):
        argv += ["--cgroup-manager", "cgroupfs"]
    return Engine("podman", argv, {"CONTAINERS_CONF": str(conf)})


def scopebox(base: Path) -> Engine:
    """The same containers.conf as podman's (written by `podman()`: it runs first)."""
    env = {"SCOPEBOX_ROOT": str(base / "root"), "SCOPEBOX_RUNROOT": str(base / "run")}
    env["CONTAINERS_CONF"] = str(base.parent / "containers.conf")
    return Engine("scopebox", [sys.executable, "-m", "supervisor"], env)


def shape(value: Any) -> Any:
    """JSON keys and types, not values: what a script's parser depends on."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def lookup(doc: Any, path: str) -> Any:
    """`Host.OCIRuntime.Name` in a JSON document whose keys are any case (Podman's JSON is
    camelCase, its templates PascalCase); KeyError when absent."""
    for part in path.split("."):
        if isinstance(doc, list):
            doc = doc[0]
        keys = {k.lower(): k for k in doc} if isinstance(doc, dict) else {}
        if part.lower() not in keys:
            raise KeyError(path)
        doc = doc[keys[part.lower()]]
    return doc


def json_shape_at(raw: str, paths: tuple[str, ...]) -> dict[str, Any]:
    doc = json.loads(raw)
    out: dict[str, Any] = {}
    for path in paths:
        try:
            out[path] = shape(lookup(doc, path))
        except (KeyError, IndexError):
            out[path] = "<absent>"
    return out


def flat_types(value: Any, prefix: str = "") -> dict[str, str]:
    """Every key path of a JSON document with its value's type (a list: its first item's keys),
    for comparing key sets: `HostConfig.Memory -> number`."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        out[prefix] = "dict"
        for k, v in value.items():
            out.update(flat_types(v, f"{prefix}.{k}" if prefix else k))
    elif isinstance(value, list):
        out[prefix] = "list"
        if value and isinstance(value[0], dict):
            out.update(flat_types(value[0], prefix + "[]"))
    else:
        out[prefix] = shape(value)
    return out


def missing_keys(podmans: dict[str, str], ours: dict[str, str],
                 skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Podman's keys scopebox lacks or types differently; Podman's null (an unset value)
    matches any type, as a script reading it must cope with null anyway."""
    out = {}
    for key, kind in podmans.items():
        bare = key.removeprefix("[].")  # an array of objects: each object's keys
        if any(bare == s or bare.startswith(s + ".") or bare.startswith(s + "[") for s in skip):
            continue
        if any(key == s or key.startswith(s + ".") or key.startswith(s + "[") for s in skip):
            continue
        mine = ours.get(key, "<absent>")
        if mine != kind and not (kind == "NoneType" and mine != "<absent>"):
            out[key] = f"podman {kind}, scopebox {mine}"
    return out
