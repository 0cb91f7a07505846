"""performance (issue 16): the read verbs' (and exec's, attach's) common command lines, parsed
without argparse.

argparse (with the `re`, `gettext` and `enum` it loads) and building a verb's parser cost
more than the rest of `ps`, `inspect`, `images`, `logs` or `version` on an empty store. A verb
declares the flags that need no conversion or check (`Quick`); `parse` gives the namespace its
argparse parser would give, or None for anything else on the command line (help, an unknown
flag, a cluster of flags not all boolean, `--all=true`, a value that starts with `-`, a flag
with `type=` or `choices=`, positionals split by flags, `--`): the verb then builds its parser,
which gives the result or Podman's error as before. tests/unit/test_quick.py checks every
declaration against its verb's parser.
"""

from __future__ import annotations

from types import SimpleNamespace

from supervisor.records import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BOOL = "bool"  # action="store_true"
VALUE = "value"  # one value, the last one given wins
APPEND = "append"  # action="append"


class Quick(NamedTuple):
    """`flags`: option string -> (dest, kind); `defaults`: every dest of the verb's parser
    (flags left to argparse included); `positional`: (dest, nargs "?", "*" or None: exactly
    one), if any; `remainder`: the dest of an `argparse.REMAINDER` after that positional
    (`exec CTR CMD...`: every word after the positional's, flags included, is the command's)."""

    flags: dict[str, tuple[str, str]]
    defaults: dict[str, Any]
    positional: tuple[str, str | None] | None = None
    remainder: str | None = None


def parse(argv: list[str], spec: Quick) -> SimpleNamespace | None:
    values = {k: list(v) if isinstance(v, list) else v for k, v in spec.defaults.items()}
    words: list[str] = []
    run_ended = False  # argparse takes positionals as one run: `a -s b` is an error
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-"):
            if run_ended:
                return None
            words.append(arg)
            if spec.remainder is not None:
                if argv[i : i + 1] == ["--"]:
                    return None  # argparse drops it (`exec CTR -- CMD`): its parser decides
                values[spec.remainder] = argv[i:]
                break
            continue
        run_ended = bool(words)
        key, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        found = spec.flags.get(key)
        if found is None:
            cluster = [spec.flags.get(f"-{c}") for c in arg[1:]] if arg[1:].isalpha() else []
            if len(cluster) < 2 or any(f is None or f[1] != BOOL for f in cluster):
                return None
            for flag in cluster:  # `-it`: short boolean flags given together
                values[flag[0]] = True  # type: ignore[index]
            continue
        dest, kind = found
        if kind == BOOL:
            if eq:
                return None  # Go's `--all=false`: the parser's go_bools
            values[dest] = True
            continue
        if not eq:
            if i >= len(argv) or argv[i].startswith("-"):
                return None
            value = argv[i]
            i += 1
        values[dest] = [*values[dest], value] if kind == APPEND else value
    return _positional(values, words, spec.positional)


def _positional(
    values: dict[str, Any], words: list[str], positional: tuple[str, str | None] | None
) -> SimpleNamespace | None:
    if positional is None:
        return None if words else SimpleNamespace(**values)
    dest, nargs = positional
    if nargs == "*":
        values[dest] = words
    elif len(words) > 1 or (nargs is None and not words):
        return None
    elif words:
        values[dest] = words[0]
    return SimpleNamespace(**values)
