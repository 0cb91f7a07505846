"""scopebox pod inspect [--format F] POD..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, render_each
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("pod inspect", "Show details of one or more pods.")
    p.add_argument("-f", "--format")
    p.add_argument("-l", "--latest", action="store_true", help="the newest pod")
    p.add_argument("pods", nargs="*")
    ns = p.parse_args(argv)
    from supervisor.api import pods as api
    from supervisor.errors import UsageError

    if ns.latest and ns.pods:  # Podman's words
        raise UsageError("--latest and arguments cannot be used together")
    refs = [api.latest(settings)] if ns.latest else ns.pods
    if not refs:
        raise UsageError("you must provide at least one pod name or id")
    out: list[dict[str, Any]] = []
    code = 0
    errors = []
    for report in api.inspect(settings, refs):
        if report.err is not None:
            errors.append(f"Error: inspecting object: no such pod {report.raw_input}"
                          if "no such pod" in str(report.err) else f"Error: {report.err}")
            code = 125
        elif report.data is not None:
            out.append(report.data)
    if ns.format and ns.format != "json":
        # helper podsx: Podman's Go field names of the keys its JSON spells in snake case
        go = {"cpu_period": "CPUPeriod", "cpu_quota": "CPUQuota", "memory_limit": "MemoryLimit",
              "memory_swap": "MemorySwap", "cpu_shares": "CPUShares"}
        text = {"cpuset_cpus": "CPUSetCPUs", "cpuset_mems": "CPUSetMems"}  # issue 19
        # Podman's template reads its Go struct: the id is .ID (and .Id, as its JSON names it)
        fields = [{**d, "ID": d.get("Id", ""), **{g: d.get(k, 0) for k, g in go.items()},
                   **{g: d.get(k, "") for k, g in text.items()},
                   "Containers": [{**c, "ID": c["Id"]} for c in d.get("Containers") or []]}
                  for d in out]  # podbats: a member's id too ((index .Containers 0).ID)
        render_each(ns.format, fields)
    elif len(refs) == 1 and out:
        print_json(out[0])  # Podman 4.3 prints one pod as an object
    else:
        print_json(out)
    for line in errors:
        print(line, file=sys.stderr)
    return code
