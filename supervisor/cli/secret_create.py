"""scopebox secret create [-d file] [--driver-opts K=V,...] [-l K=V] [--env] NAME FILE|-"""

from __future__ import annotations

import os
import sys

from supervisor.cli.main import new_parser
from supervisor.errors import ScopeboxError, UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("secret create", "Create a secret from a file, stdin (-) or a variable.")
    p.add_argument("-d", "--driver", default="file", help="secret driver (default file)")
    p.add_argument("--driver-opts", action="append", default=[],
                   help="driver options: path=DIR (K=V, comma-separated)")
    p.add_argument("--env", action="store_true",
                   help="read the secret's data from the environment variable named FILE")
    p.add_argument("-l", "--label", action="append", default=[], help="labels: K=V")
    p.add_argument("args", nargs="*", metavar="NAME FILE|-")
    ns = p.parse_args(argv)
    if len(ns.args) != 2:
        raise UsageError(f"accepts 2 arg(s), received {len(ns.args)}")
    name, source = ns.args
    from supervisor.api import secrets as api

    opts = api.CreateOptions(
        name=name, data=_data(source, ns.env), driver=ns.driver,
        driver_options=_options(ns.driver_opts), labels=_labels(ns.label))
    print(api.create(settings, opts))
    return 0


def _data(source: str, from_env: bool) -> bytes:
    if from_env:
        value = os.environb.get(source.encode())
        if value is None:
            raise UsageError("cannot create store secret data: environment variable"
                             f" {source} is not set")
        return value
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as f:
            return f.read()
    except IsADirectoryError:
        return b""  # Podman's: "secret data must be larger than 0 ..."
    except OSError as exc:
        raise ScopeboxError(f"open {source}: {(exc.strerror or '').lower()}") from None


def _options(items: list[str]) -> dict[str, str]:
    out = {}
    for item in (i for value in items for i in value.split(",") if i):
        key, eq, value = item.partition("=")
        if not eq:
            raise UsageError(f"{item} must be formatted as key=value")
        out[key] = value
    return out


def _labels(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key:
            raise UsageError(f"invalid label {item!r}")
        out[key] = value
    return out
