"""scopebox network create [--subnet S] [--gateway G] [--ip-range R] [--internal]
[--disable-dns] [--ipv6] [--label K=V] [-d bridge] [-o mtu=N|isolate=B] [--ignore] [NAME]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def key_values(items: list[str], flag: str, need_value: bool = False) -> dict[str, str]:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not key or (need_value and not eq):
            raise UsageError(f"{flag} {item!r} must be KEY=VALUE")
        out[key] = value
    return out


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("network create", "Create a bridge network (nothing is made until used).")
    p.add_argument("-d", "--driver", default="bridge")
    p.add_argument("--subnet", action="append", default=[])
    p.add_argument("--gateway", action="append", default=[])
    p.add_argument("--ip-range", action="append", default=[])
    p.add_argument("--internal", action="store_true")
    p.add_argument("--disable-dns", action="store_true")
    p.add_argument("--ipv6", action="store_true")
    p.add_argument("--label", action="append", default=[])
    p.add_argument("-o", "--opt", action="append", default=[])
    p.add_argument("--ipam-driver", choices=["host-local"], default="host-local")
    p.add_argument("--ignore", action="store_true",  # quadlet (issue 13); Podman 4.4's flag
                   help="an existing network of that name is no error")
    p.add_argument("name", nargs="?", default="")
    ns = p.parse_args(argv)
    from supervisor.api import networks as api

    opts = api.CreateOptions(
        name=ns.name, driver=ns.driver, subnets=ns.subnet, gateways=ns.gateway,
        ip_ranges=ns.ip_range, internal=ns.internal, disable_dns=ns.disable_dns, ipv6=ns.ipv6,
        labels=key_values(ns.label, "--label"), options=key_values(ns.opt, "--opt", True),
        ignore=ns.ignore,
    )
    print(api.create(settings, opts)["name"])
    return 0
