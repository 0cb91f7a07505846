"""scopebox login [-u USER] [-p PASS | --password-stdin] [--get-login] [--tls-verify=BOOL]
[--authfile F] REGISTRY"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from supervisor.cli.common import registry_flags
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings

if TYPE_CHECKING:
    from supervisor.api.registry import Credentials


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("login", "Log in to a registry; credentials go to the auth file.")
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--get-login", action="store_true", help="print the stored user name")
    p.add_argument("-v", "--verbose", action="store_true", help="print the auth file used")
    registry_flags(p, creds=False, cert_dir=True)
    p.add_argument("registry")
    ns = p.parse_args(argv)
    from supervisor.api import registry

    if ns.get_login:
        print(registry.stored_login(ns.registry, ns.authfile))
        return 0
    registry.login_key(ns.registry)  # a malformed name fails before any prompt
    creds = _credentials(ns)
    opts = registry.RegistryOptions(ns.tls_verify, None, ns.authfile)
    path = registry.login(ns.registry, creds, opts)
    if ns.verbose:
        print(f"Used: {path}")
    print("Login Succeeded!")
    return 0


def _credentials(ns: argparse.Namespace) -> Credentials:
    if ns.password and ns.password_stdin:
        raise UsageError("--password and --password-stdin are mutually exclusive")
    user = ns.username
    password = ns.password
    if ns.password_stdin:
        if not user:
            raise UsageError("--password-stdin needs --username")
        password = sys.stdin.readline().rstrip("\n")
    if not user:
        if not sys.stdin.isatty():
            raise UsageError("a username is needed: use --username (no terminal to ask on)")
        user = input("Username: ")
    if password is None:
        if not sys.stdin.isatty():
            raise UsageError("a password is needed: use --password-stdin (no terminal to ask on)")
        password = getpass.getpass("Password: ")
    if not user:
        raise UsageError("the username must not be empty")
    from supervisor.api import registry

    return registry.new_credentials(user, password)
