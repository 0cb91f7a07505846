"""scopebox image trust show|set, image sign (verbs). `trust show` reads the host's signature
policy (containers-policy.json(5)) as Podman 4.3 shows it; scopebox verifies no signatures,
so `trust set` of the host's policy (it would rewrite it for Podman's sake) is refused with a
reason, after Podman's own checks of the arguments. `trust set --policypath FILE` edits the
file the user names, as Podman's does (a file edit: nobody's pulls change). `image sign`
makes Podman's GPG signatures (supervisor/registry/sign.py)."""

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


def _policy_path(given: str | None = None) -> str:
    if given:
        return given
    home = os.path.expanduser("~/.config/containers/policy.json")
    return home if os.getuid() != 0 and os.path.exists(home) else POLICY


def _load(path: str) -> dict[str, Any]:
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
    p.add_argument("--policypath", help="the policy file (default: the host's)")
    p.add_argument("registry", nargs="?")
    ns = p.parse_args(argv)
    path = _policy_path(ns.policypath)
    doc = _load(path)
    if ns.raw:  # the file as it is, and a newline (Podman's)
        with open(path) as f:
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
    p = new_parser("image trust set", "Set the policy of a registry (or the default) in the"
                   " policy file --policypath names; the host's policy is refused.")
    p.add_argument("-f", "--pubkeysfile", action="append", default=[],
                   help="a public key file (for --type signedBy)")
    p.add_argument("-t", "--type", default="signedBy", help="accept, reject or signedBy")
    p.add_argument("--policypath", help="the policy file to change")
    p.add_argument("registry")
    ns = p.parse_args(argv)
    if ns.type not in ("signedBy", "accept", "reject"):
        raise UsageError(f"invalid choice: {ns.type} (choose from 'accept', 'reject',"
                         " 'signedBy')")
    if not ns.policypath:
        raise UsageError(f"image trust set: scopebox verifies no signatures and leaves the"
                         f" host's policy ({_policy_path()}) to the tools that do; give"
                         " --policypath FILE to edit a policy file")
    if ns.type == "signedBy" and not ns.pubkeysfile:  # Podman's words
        raise UsageError("at least one public key must be defined for type 'signedBy'")
    doc = _load(ns.policypath) if os.path.exists(ns.policypath) else {}
    if ns.registry != "default" and not doc.get("default"):  # Podman's check and words
        raise UsageError("default trust policy must be set")
    _write(ns.policypath, with_requirement(doc, ns.registry, ns.type, ns.pubkeysfile))
    return 0


def with_requirement(doc: dict[str, Any], registry: str, kind: str,
                     keys: list[str]) -> dict[str, Any]:  # fmt: skip
    """The policy with `registry`'s (or the default's) requirement replaced (pure)."""
    if kind == "accept":
        reqs: list[dict[str, Any]] = [{"type": "insecureAcceptAnything"}]
    elif kind == "reject":
        reqs = [{"type": "reject"}]
    else:
        reqs = [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": k} for k in keys]
    out = {"default": doc.get("default"), **doc}  # Podman writes the default first
    if registry == "default":
        out["default"] = reqs
        return out
    transports = dict(out.get("transports") or {})
    transports["docker"] = {**(transports.get("docker") or {}), registry: reqs}
    out["transports"] = transports
    return out


def _write(path: str, doc: dict[str, Any]) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            f.write(json.dumps(doc, indent=4))
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"could not write trust policies: {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def sign(argv: list[str], settings: Settings) -> int:
    p = new_parser("image sign", "Sign images in a registry with a GPG key (docker://NAME).")
    p.add_argument("-a", "--all", action="store_true",
                   help="refused: a list's images are not signed one by one")
    p.add_argument("--authfile", help="the registry's credentials")
    p.add_argument("--cert-dir", help="the registry's certificates")
    p.add_argument("-d", "--directory", default="",
                   help="where the signatures go (default /var/lib/containers/sigstore)")
    p.add_argument("--sign-by", help="the GPG identity to sign with")
    p.add_argument("images", nargs="+")
    ns = p.parse_args(argv)
    if not ns.sign_by:
        raise UsageError("please provide an identity")
    if ns.all:
        raise UsageError("image sign --all: scopebox signs the reference's own manifest only")
    from supervisor.api import images as api

    api.sign(settings, ns.images, ns.sign_by, ns.directory, ns.authfile, ns.cert_dir)
    return 0
