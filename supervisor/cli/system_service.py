"""scopebox system service [--time SECONDS] [URI]: the Docker API on a unix socket."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("system service", "Serve the Docker-compatible REST API on a unix socket "
                   "(socket activation: systemd's scopebox.socket) until idle.")
    p.add_argument("-t", "--time", type=int, default=5, metavar="SECONDS",
                   help="exit after SECONDS without a client (0: never) (default 5)")
    p.add_argument("--cors", default="", metavar="ORIGIN",
                   help="answer requests from this origin ('*': any) with CORS headers")
    p.add_argument("uri", nargs="?", metavar="URI",
                   help="where to listen (default unix:///run/scopebox/scopebox.sock; rootless:"
                   " $XDG_RUNTIME_DIR/scopebox/scopebox.sock)")
    p.add_argument("--tls-cert", metavar="FILE",
                   help="for a tcp:// URI: the server's certificate (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="for a tcp:// URI: its private key (PEM)")
    p.add_argument("--tls-client-ca", metavar="FILE",
                   help="for a tcp:// URI: the CA every client's certificate must be signed by")
    ns = p.parse_args(argv)
    tls_args = (ns.tls_cert, ns.tls_key, ns.tls_client_ca)
    if any(tls_args) and not all(tls_args):
        p.error("--tls-cert, --tls-key and --tls-client-ca go together")
    if ns.time < 0:
        p.error(f"invalid --time {ns.time}: seconds, 0 or more")
    import os

    from supervisor.api import enter
    from supervisor.errors import mapped

    uri = ns.uri
    if uri is None and os.geteuid() != 0:  # rootless: the user's own socket, as Podman's
        uri = f"unix://{settings.paths.runroot}/scopebox.sock"
    with mapped():
        enter(settings)  # rootless: the user's namespace, joined before any thread starts
    from supervisor.service.server import TLSFiles, serve  # anyio: only this verb loads it

    serve(settings, uri, float(ns.time), TLSFiles(*tls_args) if all(tls_args) else None,
          ns.cors)
    return 0
