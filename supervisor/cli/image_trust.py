"""scopebox image trust show|set, image sign (verbs). `trust show` reads the host's signature
policy (containers-policy.json(5)) as Podman 4.3 shows it; scopebox verifies no signatures
and makes none, so `trust set` (it would rewrite the host's policy for Podman's sake) and
`image sign` are refused with a reason, after Podman's own checks of the arguments."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings

POLICY = "/etc/containers/policy.json"
# the policy's requirement types as `trust show` names them
_TYPES = {"insecureAcceptAnything": "accept", "reject": "reject", "signedBy": "signed",
          "sigstoreSigned": "sigstoreSigned"}


def main(argv: list[str], settings: Settings) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: scopebox image trust {show|set} [OPTIONS] ...")
        return 0
    if argv[0] == "show":
        return show(argv[1:])
    if argv[0] == "set":
        return set_(argv[1:])
    raise UsageError(f"unrecognized command `scopebox image trust {argv[0]}` (see 'scopebox"
                     " image trust --help')")


def _policy_path() -> str:
    home = os.path.expanduser("~/.config/containers/policy.json")
    return home if os.getuid() != 0 and os.path.exists(home) else POLICY


def _load() -> dict[str, Any]:
    path = _policy_path()
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as exc:
        raise UsageError(f"could not read trust policies: {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise UsageError(f"could not read trust policies: {path}: not a JSON object")
    return doc


def rows(doc: dict[str, Any]) -> list[dict[str, str]]:
    """Podman's rows: the default, then each scope of the docker transport (pure)."""
    out = [{"transport": "all", "name": "* (default)", "repo_name": "default",
            "type": _type(doc.get("default"))}]
    docker = (doc.get("transports") or {}).get("docker") or {}
    for scope, reqs in sorted(docker.items()):
        out.append({"transport": "repository", "name": scope, "repo_name": scope,
                    "type": _type(reqs)})
    return out


def _type(reqs: Any) -> str:
    if isinstance(reqs, list) and reqs and isinstance(reqs[0], dict):
        kind = str(reqs[0].get("type", ""))
        return _TYPES.get(kind, kind)
    return ""


def show(argv: list[str]) -> int:
    p = new_parser("image trust show", "Display the host's image signature policy.")
    p.add_argument("-j", "--json", action="store_true", help="output as JSON")
    p.add_argument("-n", "--noheading", action="store_true", help="no column headings")
    p.add_argument("--raw", action="store_true", help="the policy file itself")
    p.add_argument("registry", nargs="?")
    ns = p.parse_args(argv)
    doc = _load()
    if ns.raw:  # the file as it is, and a newline (Podman's)
        with open(_policy_path()) as f:
            sys.stdout.write(f.read() + "\n")
        return 0
    found = rows(doc)  # Podman 4.3 shows every row whatever REGISTRY says
    if ns.json:
        sys.stdout.write(json.dumps(found, indent=2) + "\n")
        return 0
    table = [[r["transport"] if r["transport"] == "all" else "repository", r["repo_name"],
              r["type"], "", ""] for r in found]
    if not ns.noheading:
        table.insert(0, ["TRANSPORT", "NAME", "TYPE", "ID", "STORE"])
    for line in table:
        sys.stdout.write("".join(cell.ljust(max(12, len(cell) + 2)) for cell in line[:-1])
                         + line[-1] + "\n")
    return 0


def set_(argv: list[str]) -> int:
    p = new_parser("image trust set", "Refused: scopebox does not change the signature policy.")
    p.add_argument("-f", "--pubkeysfile", action="append", default=[], help="refused")
    p.add_argument("-t", "--type", default="signedBy", help="refused")
    p.add_argument("registry")
    ns = p.parse_args(argv)
    if ns.type not in ("signedBy", "accept", "reject"):
        raise UsageError(f"invalid choice: {ns.type} (choose from 'accept', 'reject',"
                         " 'signedBy')")
    raise UsageError(f"image trust set: scopebox verifies no signatures and leaves the"
                     f" host's policy ({_policy_path()}) to the tools that do")


def sign(argv: list[str], settings: Settings) -> int:
    p = new_parser("image sign", "Refused: scopebox does not sign images.")
    p.add_argument("-a", "--all", action="store_true", help="refused")
    p.add_argument("--authfile", help="refused")
    p.add_argument("--cert-dir", help="refused")
    p.add_argument("-d", "--directory", help="refused")
    p.add_argument("--sign-by", help="refused: scopebox does not sign images")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    if not ns.sign_by:
        raise UsageError("please provide an identity")
    raise UsageError("image sign: scopebox does not sign images (no GPG or sigstore signing)")
