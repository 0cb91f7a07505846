"""The container's environment as Podman 4.3 builds it, with `--env-merge`, `--unsetenv`,
`--unsetenv-all` (issue 19) and `--env-host`:

    defaults = PATH, TERM=xterm and container=scopebox, the caller's environment (--env-host), the
               image's Env over them
    defaults: each --env-merge NAME=WORD rewrites a NAME already there, WORD expanded
              against the defaults (imagebuilder's ProcessWord: quotes, \\, $X, ${X},
              ${X:-w}, ${X:+w})
    defaults: --unsetenv NAME removes NAME; --unsetenv-all removes them all
    Config.Env = defaults, then the caller's environment (--env-host) again, then -e/--env-file

HOME and HOSTNAME are added at start when still unset (specgen). Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from supervisor.errors import UsageError

DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_TERM = "TERM=xterm"  # Podman's: containers.conf's default env, on a terminal or not
CONTAINER_ENV = "container=scopebox"  # Podman's container=podman, under the image's


def expand_env(item: str, environ: Mapping[str, str]) -> str | None:
    """`-e NAME` takes NAME from the caller's environment, or leaves it out, as Docker does."""
    if "=" in item:
        if item.startswith("="):
            raise UsageError(f"invalid environment variable {item!r}")
        return item
    value = environ.get(item)
    return None if value is None else f"{item}={value}"


def merge_env(*layers: Iterable[str]) -> list[str]:
    """Later layers win, order of first appearance kept (Docker's merge)."""
    merged: dict[str, str] = {}
    for layer in layers:
        for item in layer:
            key, _, value = item.partition("=")
            merged[key] = value
    return [f"{k}={v}" for k, v in merged.items()]


def container_env(
    image_env: Sequence[str],
    env_merge: Sequence[str] = (),
    unsetenv: Sequence[str] = (),
    unsetenv_all: bool = False,
    host_env: Sequence[str] = (),
    env: Sequence[str] = (),
) -> list[str]:
    """Config.Env: what the container's process gets, but for HOME and HOSTNAME."""
    base = [DEFAULT_PATH, DEFAULT_TERM, CONTAINER_ENV]
    defaults = dict(_pairs(merge_env(base, host_env, image_env)))
    for item in env_merge:  # each sees the merges before it (as the real podman does)
        key, value = merge_item(item, [f"{k}={v}" for k, v in defaults.items()])
        if key in defaults:  # Podman 4.3 rewrites only what is there (later ones add it)
            defaults[key] = value
    for name in unsetenv:
        defaults.pop(name, None)
    if unsetenv_all:
        defaults.clear()
    return merge_env([f"{k}={v}" for k, v in defaults.items()], host_env, env)


def merge_item(item: str, env: Sequence[str]) -> tuple[str, str]:
    """One --env-merge: NAME=WORD with WORD's variables taken from `env`."""
    try:
        word = process_word(item, env)
    except ValueError as exc:
        raise UsageError(f"unable to process variables for --env-merge {item}: {exc}") from None
    key, eq, value = word.partition("=")
    if not eq:
        raise UsageError(f"missing `=` for --env-merge substitution {item}")
    return key, value


def check_env_merge(items: Sequence[str]) -> None:
    """At create, before any image: the errors that do not depend on the values."""
    for item in items:
        merge_item(item, ())


def _pairs(env: Iterable[str]) -> Iterable[tuple[str, str]]:
    for item in env:
        key, _, value = item.partition("=")
        yield key, value


# imagebuilder's ProcessWord (Dockerfile ENV syntax), read from its behaviour ----------------


def process_word(word: str, env: Sequence[str]) -> str:
    """Quotes removed, backslash escapes taken, variables expanded; ValueError as Podman's
    text for a bad substitution."""
    return _Word(word, env).until("")


class _Word:
    def __init__(self, word: str, env: Sequence[str]) -> None:
        self.word = word
        self.pos = 0
        self.env = env

    def peek(self) -> str:
        return self.word[self.pos] if self.pos < len(self.word) else ""

    def next(self) -> str:
        ch = self.peek()
        self.pos += 1 if ch else 0
        return ch

    def until(self, stop: str) -> str:
        out = []
        while ch := self.peek():
            if stop and ch == stop:
                self.next()
                break
            if ch == "'":
                out.append(self.single_quoted())
            elif ch == '"':
                out.append(self.double_quoted())
            elif ch == "$":
                out.append(self.dollar())
            else:
                self.next()
                if ch == "\\":
                    ch = self.next()
                    if not ch:
                        break
                out.append(ch)
        return "".join(out)

    def single_quoted(self) -> str:
        self.next()
        out = []
        while (ch := self.next()) and ch != "'":
            out.append(ch)
        return "".join(out)

    def double_quoted(self) -> str:
        self.next()
        out = []
        while ch := self.peek():
            if ch == '"':
                self.next()
                break
            if ch == "$":
                out.append(self.dollar())
                continue
            self.next()
            if ch == "\\":
                following = self.peek()
                if not following:
                    continue
                if following in '"$':
                    ch = self.next()
            out.append(ch)
        return "".join(out)

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            return self.lookup(name) if name else "$"
        self.next()
        name = self.name()
        ch = self.peek()
        if ch == "}":
            self.next()
            return self.lookup(name)
        if ch != ":":
            raise ValueError(f"Missing ':' in substitution: {self.word}")
        self.next()
        modifier = self.next()
        alternative = self.until("}")
        value = self.lookup(name)
        if modifier == "+":
            return alternative if value else value
        if modifier == "-":
            return value or alternative
        raise ValueError(f"Unsupported modifier ({modifier}) in substitution: {self.word}")

    def name(self) -> str:
        out = ""
        while ch := self.peek():
            if not out and ch.isdigit():
                return self.next()
            if not (ch.isalnum() or ch == "_"):
                break
            out += self.next()
        return out

    def lookup(self, name: str) -> str:
        for item in self.env:
            key, eq, value = item.partition("=")
            if key == name:
                return value if eq else ""
        return ""
