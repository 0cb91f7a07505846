""".containerignore / .dockerignore: which context paths COPY and ADD leave out. Pure.

Docker's rules (moby `patternmatcher`): one pattern a line, `#` comments, paths cleaned and
relative to the context, Go's filepath.Match syntax (`*`, `?`, `[...]`) plus `**` for any
number of directories; `!pattern` re-includes; the last matching line wins. A directory that
is excluded excludes what is below it unless a later `!` pattern reaches inside."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

NAMES = (".containerignore", ".dockerignore")  # Podman reads .containerignore first


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    exclude: bool  # False: a `!` line (re-include)
    text: str


def parse(text: str) -> list[Pattern]:
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        line = line.lstrip("!").strip()
        line = os.path.normpath(line).lstrip("/") if line else line
        if line in ("", "."):
            continue
        out.append(Pattern(re.compile(_regex(line)), exclude, line))
    return out


def _regex(pattern: str) -> str:
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")  # **/ : zero or more directories
            else:
                out.append(".*")
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
                i = end
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("(?:/.*)?$")  # a directory's pattern matches what is below it too
    return "".join(out)


def excluded(patterns: list[Pattern], rel: str) -> bool:
    """Whether the context path `rel` (relative, `/`-separated) is left out."""
    verdict = False
    for pat in patterns:
        if pat.regex.match(rel):
            verdict = pat.exclude
    return verdict


def may_reinclude(patterns: list[Pattern], rel_dir: str) -> bool:
    """An excluded directory is still walked only when a `!` line names a path inside it
    literally (moby's patternmatcher, as buildah: `!*/x` reaches into no excluded directory)."""
    prefix = rel_dir.rstrip("/") + "/"
    return any(not p.exclude and p.text.startswith(prefix) for p in patterns)


def read(context: str, ignorefile: str = "") -> list[Pattern]:
    """The context's ignore file, or `ignorefile` (build --ignorefile) instead."""
    if ignorefile:
        with open(ignorefile, encoding="utf-8", errors="replace") as f:
            return parse(f.read())
    for name in NAMES:
        try:
            with open(os.path.join(context, name), encoding="utf-8", errors="replace") as f:
                return parse(f.read())
        except FileNotFoundError:
            continue
    return []
