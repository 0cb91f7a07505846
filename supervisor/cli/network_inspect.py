"""scopebox network inspect [--format F] NETWORK..."""

from __future__ import annotations

import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.cli.output import print_json, render_each
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network inspect", "Show networks' definitions.")
    p.add_argument("-f", "--format")
    p.add_argument("networks", nargs="+")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    out: list[dict[str, Any]] = []
    code = 0
    for report in api.inspect(settings, ns.networks):
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = api.not_found_exit(report.err)
        elif report.data is not None:
            out.append(report.data)
    if ns.format and ns.format != "json":
        render_each(ns.format, [_template_view(n) for n in out])
    else:
        print_json(out)
    return code


def _template_view(n: dict[str, Any]) -> dict[str, Any]:
    """Go template names of Podman's types.Network ({{.Name}}, {{.NetworkInterface}}, ...)
    beside the JSON keys."""
    view = dict(n)
    view.update({
        "Name": n["name"], "ID": n["id"], "Driver": n["driver"],
        "NetworkInterface": n["network_interface"], "Created": n["created"],
        "Subnets": n["subnets"], "IPv6Enabled": n["ipv6_enabled"], "Internal": n["internal"],
        "DNSEnabled": n["dns_enabled"], "Labels": n.get("labels") or {},
        "Options": n.get("options") or {}, "IPAMOptions": n["ipam_options"],
    })
    return view
