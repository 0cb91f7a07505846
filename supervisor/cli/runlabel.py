"""scopebox container runlabel [--display] [-n NAME] LABEL IMAGE [ARG...] (verbs): run the
command an image's label holds, as Podman 4.3 does: IMAGE and NAME (also $IMAGE, $NAME) are
replaced, the ARGs appended, and a command of `podman` or `docker` runs scopebox itself."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.cli.common import registry_flags

    p = new_parser("container runlabel", "Execute the command described by an image label.")
    p.add_argument("--display", action="store_true", help="print the command, do not run it")
    p.add_argument("-n", "--name", help="the NAME put in the command (default: the image's)")
    p.add_argument("-q", "--quiet", action="store_true", help="accepted (no pull output)")
    p.add_argument("--replace", action="store_true",
                   help="remove a container of that NAME first")
    registry_flags(p, cert_dir=True)
    p.add_argument("label")
    p.add_argument("image")
    p.add_argument("args", nargs=argparse.REMAINDER)
    ns = p.parse_args(argv)
    image, labels = _labels(settings, ns.image)
    text = labels.get(ns.label)
    if not text:
        raise UsageError(f"cannot find the value of label: {ns.label} in image: {ns.image}")
    name = ns.name or image.rsplit("/", 1)[-1].split(":", 1)[0]
    argv_ = [*command(text, image, name), *ns.args]
    if ns.display:
        print("command: " + " ".join(["scopebox", *argv_[1:]]))
        return 0
    if ns.replace:
        from supervisor.api import containers as api

        api.remove(settings, api.RemoveOptions(refs=[name], force=True, ignore=True))
    if argv_[0] in ("podman", "docker"):  # our own command, with this interpreter
        argv_ = [sys.executable, "-m", "supervisor", *argv_[1:]]
    env = {**os.environ, "IMAGE": image, "NAME": name}
    try:
        code = subprocess.run(argv_, env=env, check=False).returncode
    except OSError as exc:
        raise UsageError(f"runlabel: cannot run {argv_[0]!r}: {exc.strerror}") from None
    if code:  # Podman's words, and its 125
        raise UsageError(f"`{' '.join(argv_)}` failed: exit status {code}")
    return 0


def command(text: str, image: str, name: str) -> list[str]:
    """The label's words with Podman's replacements (pure)."""
    out = []
    for word in shlex.split(text):
        for key, value in (("$IMAGE", image), ("IMAGE", image), ("$NAME", name),
                           ("NAME", name)):
            word = word.replace(key, value)
        out.append(word)
    return out


def _labels(settings: Settings, ref: str) -> tuple[str, dict[str, str]]:
    from supervisor.api import images as api

    report = api.inspect(settings, [ref])[0]
    if report.err is not None or report.data is None:
        raise report.err or UsageError(f"no such image: {ref!r}")
    cfg = report.data.get("Config") or {}
    names = report.data.get("RepoTags") or [ref]
    wanted = [n for n in names if n == ref or n.endswith("/" + ref) or n.startswith(ref + ":")]
    return (wanted or [ref])[0], dict(cfg.get("Labels") or {})
