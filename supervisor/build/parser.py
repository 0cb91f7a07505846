"""Containerfile text -> typed instructions, and the builder's word expansion. Pure.

The grammar is Docker's (moby/buildkit `frontend/dockerfile/parser` and `shell/lex.go`, as
Podman's imagebuilder reads it): parser directives (`# escape=`, `# syntax=`) only before
anything else; `#` comment lines dropped, also inside a continuation; a line ending in the
escape character continues on the next; JSON (exec) form when the arguments are a JSON array
of strings, else shell form. Expansion (`$X`, `${X}`, `${X:-default}`, `${X:+alt}`) happens
in the instructions Docker expands, with the ARG and ENV values of that point; RUN, CMD and
ENTRYPOINT are left to the shell."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from supervisor.errors import UsageError

KNOWN = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR",
})  # fmt: skip
# the instructions whose arguments the builder expands (Docker's replaceEnvAllowed)
EXPANDED = frozenset({
    "ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR", "ARG",
})  # fmt: skip
_FLAGGED = frozenset({"ADD", "COPY", "FROM", "RUN", "HEALTHCHECK"})
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_FLAG = re.compile(r"^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?$")


class BuildFileError(UsageError):
    """A Containerfile the builder cannot read (exit 125, as Podman's)."""


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case: RUN, COPY, ...
    args: str  # the text after the keyword and its flags (continuations joined)
    original: str  # the whole instruction as Podman's STEP line shows it
    line: int  # where it starts (1-based)
    flags: tuple[tuple[str, str], ...] = ()  # --from=a, --chown=1:2, ...
    json_args: tuple[str, ...] | None = None  # the exec (JSON) form's array

    def flag(self, name: str, default: str = "") -> str:
        for key, value in self.flags:
            if key == name:
                return value
        return default


@dataclass(frozen=True)
class Stage:
    index: int
    base: str  # as written (expanded by the executor with the global ARGs)
    name: str  # `AS name`, lower case; "" without
    platform: str  # FROM --platform= ("" without)
    origin: Instruction  # the FROM itself
    steps: tuple[Instruction, ...] = ()


@dataclass(frozen=True)
class Containerfile:
    escape: str = "\\"
    syntax: str = ""
    global_args: tuple[Instruction, ...] = ()  # ARGs before the first FROM
    stages: tuple[Stage, ...] = field(default_factory=tuple)

    def stage_named(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.name and stage.name == name.lower():
                return stage
        return None


def parse(text: str) -> Containerfile:
    escape, syntax, body = _directives(text.splitlines())
    instructions = [parse_instruction(t, n, escape) for n, t in _logical_lines(body, escape)]
    if not instructions:
        raise BuildFileError("no FROM statement found")  # Podman's words (an empty file too)
    global_args: list[Instruction] = []
    stages: list[Stage] = []
    for ins in instructions:
        if ins.cmd == "FROM":
            stages.append(_stage(len(stages), ins))
        elif stages:
            last = stages[-1]
            stages[-1] = Stage(last.index, last.base, last.name, last.platform, last.origin,
                               (*last.steps, ins))  # fmt: skip
        elif ins.cmd == "ARG":
            global_args.append(ins)
        else:
            raise BuildFileError("no FROM statement found")
    if not stages:
        raise BuildFileError("no FROM statement found")
    return Containerfile(escape, syntax, tuple(global_args), tuple(stages))


def _stage(index: int, ins: Instruction) -> Stage:
    words = ins.args.split()
    if len(words) == 3 and words[1].lower() == "as":
        name = words[2].lower()
        if not re.fullmatch(r"[a-z][a-z0-9._-]*", name):
            raise BuildFileError(f"invalid name for build stage: {words[2]!r}, name can't start"
                                 " with a number or contain symbols")  # fmt: skip
        return Stage(index, words[0], name, ins.flag("platform"), ins)
    if len(words) != 1:
        raise BuildFileError(f"FROM requires either one or three arguments: {ins.original!r}")
    return Stage(index, words[0], "", ins.flag("platform"), ins)


def _directives(lines: list[str]) -> tuple[str, str, list[tuple[int, str]]]:
    """The parser directives at the top, then the numbered lines after them."""
    found: dict[str, str] = {}
    n = 0
    while n < len(lines):
        m = _DIRECTIVE.match(lines[n].strip())
        key = m.group(1).lower() if m else ""
        if not m or key not in ("escape", "syntax") or key in found:
            break  # anything else ends the directives (an unknown one is a comment)
        found[key] = m.group(2)
        n += 1
    escape = found.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise BuildFileError(f"invalid ESCAPE {escape!r}. Must be ` or \\")
    return escape, found.get("syntax", ""), list(enumerate(lines, 1))[n:]


def _logical_lines(lines: list[tuple[int, str]], escape: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, raw in lines:
        stripped = raw.strip()
        if stripped.startswith("#"):
            continue  # a comment, also in the middle of a continuation
        if not parts:
            if not stripped:
                continue
            start = number
        elif not stripped:
            continue  # an empty line inside a continuation (Docker warns, then goes on)
        text = raw.rstrip()
        if text.endswith(escape):  # Docker's `\\[ \t]*$`: even after another escape
            parts.append(text[:-1])
            continue
        parts.append(text)
        out.append((start, "".join(parts).strip()))
        parts = []
    if parts:
        out.append((start, "".join(parts).strip()))
    return out


def parse_instruction(text: str, line: int, escape: str = "\\") -> Instruction:
    keyword, _, rest = text.partition(" ")
    if "\t" in keyword:
        keyword, _, more = keyword.partition("\t")
        rest = f"{more} {rest}" if rest else more
    cmd = keyword.upper()
    if cmd not in KNOWN:
        raise BuildFileError(f'Build error: Unknown instruction: "{cmd}" (line {line}:'
                             f" {text!r})")  # fmt: skip
    rest = rest.strip()
    flags: list[tuple[str, str]] = []
    if cmd in _FLAGGED:
        while rest.startswith("--"):
            word, _, after = rest.partition(" ")
            m = _FLAG.match(word)
            if not m:
                break
            flags.append((m.group(1).lower(), m.group(2) or ""))
            rest = after.lstrip()
    return Instruction(cmd, rest, text, line, tuple(flags), _json_form(rest))


def _json_form(rest: str) -> tuple[str, ...] | None:
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None  # not JSON: shell form (Docker's rule)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


# --- expansion (Docker's shell/lex.go: ProcessWord and ProcessWords) -------------------------


def expand(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """One word: quotes removed, variables expanded, whitespace kept (ProcessWord)."""
    return "".join(w for w in _Lexer(text, env, escape).words(split=False))


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Several words, split at unquoted whitespace (ProcessWords)."""
    return _Lexer(text, env, escape).words(split=True)


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text, self.env, self.escape, self.pos = text, env, escape, 0

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def words(self, split: bool) -> list[str]:
        out: list[str] = []
        word: list[str] = []
        started = False
        while self.pos < len(self.text):
            ch = self.peek()
            if split and ch in " \t\n":
                self.pos += 1
                if started:
                    out.append("".join(word))
                    word, started = [], False
                continue
            started = True
            word.append(self.unit())
        if started or not split:
            out.append("".join(word))
        return out

    def unit(self) -> str:
        """One character's worth: a quoted string, an escape, a variable or a character."""
        ch = self.take()
        if ch == self.escape:
            nxt = self.take()
            return nxt if nxt else ch
        if ch == "'":
            return self.single()
        if ch == '"':
            return self.double()
        if ch == "$":
            return self.variable()
        return ch

    def single(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise BuildFileError(f"unexpected end of statement while looking for matching"
                                 f" single-quote: {self.text!r}")  # fmt: skip
        value = self.text[self.pos:end]
        self.pos = end + 1
        return value

    def double(self) -> str:
        out: list[str] = []
        while True:
            ch = self.take()
            if ch == "":
                raise BuildFileError(f"unexpected end of statement while looking for matching"
                                     f" double-quote: {self.text!r}")  # fmt: skip
            if ch == '"':
                return "".join(out)
            if ch == self.escape and self.peek() in ('"', "$", self.escape):
                out.append(self.take())
            elif ch == "$":
                out.append(self.variable())
            else:
                out.append(ch)

    def variable(self) -> str:
        ch = self.peek()
        if ch == "{":
            self.pos += 1
            return self.braced()
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", self.text[self.pos:])
        if not m:
            return "$"
        self.pos += m.end()
        return self.env.get(m.group(0), "")

    def braced(self) -> str:
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", self.text[self.pos:])
        if not m:
            raise BuildFileError(f"bad substitution in {self.text!r}")
        name = m.group(0)
        self.pos += m.end()
        if self.peek() == "}":
            self.pos += 1
            return self.env.get(name, "")
        op = self.take()
        if op == ":":
            op += self.take()
        if op not in (":-", ":+", "-", "+"):
            raise BuildFileError(f"unsupported modifier ({op}) in substitution: {self.text!r}")
        word = self.until_brace()
        value = self.env.get(name)
        if op == ":-":
            return value if value else word
        if op == "-":
            return value if value is not None else word
        if op == ":+":
            return word if value else ""
        return word if value is not None else ""

    def until_brace(self) -> str:
        out: list[str] = []
        while True:
            if self.pos >= len(self.text):
                raise BuildFileError(f"missing '}}' in {self.text!r}")
            if self.peek() == "}":
                self.pos += 1
                return "".join(out)
            out.append(self.unit())


def key_values(text: str, env: Mapping[str, str], escape: str, verb: str) -> list[tuple[str, str]]:
    """ENV and LABEL: `k=v k2="v 2"` pairs, or the legacy `KEY value with spaces`."""
    words = expand_words(text, env, escape)
    if not words:
        raise BuildFileError(f"{verb} requires at least one argument")
    first = text.split(None, 1)[0]
    if "=" not in first:  # legacy form: one pair, the rest of the line is the value
        if verb == "ENV" and len(text.split(None, 1)) < 2:
            raise BuildFileError(f"ENV must have two arguments: {text!r}")
        rest = text.split(None, 1)[1] if len(text.split(None, 1)) > 1 else ""
        return [(expand(first, env, escape), expand(rest, env, escape))]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise BuildFileError(f"syntax error - can't find = in {word!r}. Must be of the"
                                 " form: name=value")  # fmt: skip
        pairs.append((key, value))
    return pairs


def arg_decl(text: str, env: Mapping[str, str], escape: str) -> tuple[str, str | None]:
    """ARG NAME[=default]: the name and the expanded default (None without one)."""
    words = expand_words(text, env, escape)
    if len(words) != 1:
        raise BuildFileError(f"ARG requires exactly one argument: {text!r}")
    name, sep, value = words[0].partition("=")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise BuildFileError(f"invalid ARG name {name!r}")
    return name, (value if sep else None)


def command(ins: Instruction, shell: list[str]) -> list[str]:
    """RUN, CMD, ENTRYPOINT: the exec form's array, else the shell form under SHELL."""
    if ins.json_args is not None:
        return list(ins.json_args)
    return [*shell, ins.args]
