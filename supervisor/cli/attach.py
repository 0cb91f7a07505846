"""scopebox attach [--no-stdin] [--sig-proxy=BOOL] [--detach-keys KEYS] CONTAINER|--latest"""

from __future__ import annotations

import sys

from supervisor.cli.main import new_parser
from supervisor.cli.quick import BOOL, VALUE, Quick, parse
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.cli.argparser import Parser


def _bool(value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise UsageError(f"--sig-proxy: invalid boolean {value!r}")
    return value.lower() == "true"


def parser() -> Parser:
    p = new_parser("attach", "Attach to a running container.")
    p.add_argument("--no-stdin", action="store_true", help="do not attach stdin")
    p.add_argument("--sig-proxy", type=_bool, default=True, nargs="?", const=True,
                   help="forward received signals to the container (default true)")  # fmt: skip
    p.add_argument("--detach-keys", help="key sequence to detach (default ctrl-p,ctrl-q)")
    p.add_argument("-l", "--latest", action="store_true",
                   help="act on the latest container created")
    p.add_argument("container", nargs="?")
    return p


# performance (issue 16): the flags `attach` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={"--no-stdin": ("no_stdin", BOOL), "--detach-keys": ("detach_keys", VALUE)},
    defaults={"no_stdin": False, "sig_proxy": True, "detach_keys": None, "latest": False,
              "container": None},
    positional=("container", "?"),
)


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import interactive as api

    ns = parse(argv, QUICK) or parser().parse_args(argv)
    if ns.latest or ns.container is None:  # performance: the common line imports no more
        from supervisor.cli.targets import latest_or

        ns.container = latest_or(settings, ns.latest, ns.container, "attach")
    req = api.AttachRequest(ns.no_stdin, ns.sig_proxy, ns.detach_keys)
    return api.attach(settings, ns.container, req, sys.stdin.fileno())
