"""scopebox system service [--time SECONDS] [URI]: the Docker API on a unix socket or TCP."""

from __future__ import annotations

from supervisor.cli.quick import VALUE, Quick, parse
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from supervisor.cli.argparser import Parser

# the usual command lines (scopebox.service's `--time 5`) without argparse: a socket-activated
# start has a client waiting (its --time is checked here; anything odd goes to the parser)
QUICK = Quick(
    flags={"-t": ("time", VALUE), "--time": ("time", VALUE), "--cors": ("cors", VALUE),
           "--tls-cert": ("tls_cert", VALUE), "--tls-key": ("tls_key", VALUE),
           "--tls-client-ca": ("tls_client_ca", VALUE), "--log-level": ("log_level", VALUE)},
    defaults={"time": 5, "cors": "", "uri": None, "tls_cert": None, "tls_key": None,
              "tls_client_ca": None, "log_level": None},
    positional=("uri", "?"),
)  # fmt: skip


def parser() -> Parser:
    import argparse

    from supervisor.cli.main import new_parser

    p = new_parser("system service", "Serve the Docker-compatible REST API on a unix socket "
                   "or TCP (socket activation: systemd's scopebox.socket) until idle.")
    p.add_argument("-t", "--time", type=int, default=5, metavar="SECONDS",
                   help="exit after SECONDS without a client (0: never) (default 5)")
    p.add_argument("--cors", default="", metavar="ORIGIN",
                   help="answer requests from this origin ('*': any) with CORS headers")
    p.add_argument("uri", nargs="?", metavar="URI",
                   help="where to listen: unix:///PATH or tcp://HOST:PORT (default"
                   " unix:///run/scopebox/scopebox.sock; rootless:"
                   " $XDG_RUNTIME_DIR/scopebox/scopebox.sock)")
    # Podman's global flags go after the verb too; its service's tests give this one there
    p.add_argument("--log-level", metavar="LEVEL", help=argparse.SUPPRESS)
    p.add_argument("--tls-cert", metavar="FILE",
                   help="for a tcp:// URI: the server's certificate (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="for a tcp:// URI: its private key (PEM)")
    p.add_argument("--tls-client-ca", metavar="FILE",
                   help="for a tcp:// URI: the CA every client's certificate must be signed by")
    return p


def main(argv: list[str], settings: Settings) -> int:
    quick = parse(argv, QUICK)
    if quick is not None and str(quick.time).isdigit():
        quick.time = int(quick.time)
        ns: Any = quick
    else:
        ns = parser().parse_args(argv)
    tls_args = (ns.tls_cert, ns.tls_key, ns.tls_client_ca)
    if any(tls_args) and not all(tls_args):
        parser().error("--tls-cert, --tls-key and --tls-client-ca go together")
    if ns.time < 0:
        parser().error(f"invalid --time {ns.time}: seconds, 0 or more")
    import os

    if ns.log_level is not None:  # as the same flag before the verb
        from supervisor.cli.main import _log_globals

        settings = _log_globals(settings, ns.log_level, None, None)
    from supervisor.api import enter
    from supervisor.errors import mapped

    uri = ns.uri
    if uri is None and os.geteuid() != 0:  # rootless: the user's own socket, as Podman's
        uri = f"unix://{settings.paths.runroot}/scopebox.sock"
    with mapped():
        enter(settings)  # rootless: the user's namespace, joined before any thread starts
    from supervisor.service.server import TLSFiles, serve  # anyio: only this verb loads it

    if ns.cors:  # Podman's line (its tests look for it)
        from supervisor.cli.loglines import log

        log("debug", f'CORS Headers were set to "{ns.cors}"')

    serve(settings, uri, float(ns.time), TLSFiles(*tls_args) if all(tls_args) else None,
          ns.cors)
    return 0
