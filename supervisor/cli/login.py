"""scopebox login [-u USER] [-p PASS | --password-stdin] [--get-login] [--tls-verify=BOOL]
[--authfile F] REGISTRY"""

from __future__ import annotations

import argparse
import getpass
import sys

from supervisor.cli.common import registry_flags
from supervisor.cli.main import new_parser
from supervisor.errors import AuthError, UsageError
from supervisor.registry.auth import Credentials
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("login", "Log in to a registry; credentials go to the auth file.")
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--get-login", action="store_true", help="print the stored user name")
    p.add_argument("-v", "--verbose", action="store_true", help="print the auth file used")
    registry_flags(p, creds=False)
    p.add_argument("registry")
    ns = p.parse_args(argv)
    from supervisor.registry import auth, conf
    from supervisor.registry.client import Session

    key = auth.normalize_key(ns.registry)
    if ns.get_login:
        found = auth.lookup(key, ns.authfile)
        if found is None:
            raise AuthError(f"not logged into {key}")
        print(found.username)
        return 0
    creds = _credentials(ns)
    domain = key.split("/", 1)[0]
    insecure = conf.load().insecure(domain) if ns.tls_verify is None else not ns.tls_verify
    session = Session(domain, insecure, creds)
    try:
        session.verify_login()
    finally:
        session.close()
    path = auth.store(key, creds, ns.authfile)
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
    return Credentials(user, password)
