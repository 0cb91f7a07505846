"""scopebox volume create [-d local] [-o type=tmpfs,device=,o=] [-l K=V] [--ignore] [NAME]"""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.network_create import key_values
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("volume create", "Create a volume.")
    p.add_argument("-d", "--driver", default="local")
    p.add_argument("-o", "--opt", action="append", default=[], help="type=, device=, o=")
    p.add_argument("-l", "--label", action="append", default=[])
    p.add_argument("--ignore", action="store_true", help="an existing volume is no error")
    p.add_argument("name", nargs="?", default="")
    ns = p.parse_args(argv)
    from supervisor.api import volumes as api

    opts = api.CreateOptions(
        name=ns.name, driver=ns.driver, labels=key_values(ns.label, "--label"),
        options=key_values(ns.opt, "--opt", True), ignore=ns.ignore,
    )
    print(api.create(settings, opts)["Name"])
    return 0
