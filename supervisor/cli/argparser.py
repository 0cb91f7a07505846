"""The CLI's argparse parser: Podman's rules on top of argparse (bad flags are engine errors,
no abbreviations, Go's boolean syntax, Podman's help layout). Imported only when a verb builds
its parser: argparse and what it loads (re, gettext) cost the read verbs' cold start (issue 16).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from supervisor.errors import UsageError

GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")

# performance (issue 16): argparse looks each message up with gettext on every parser (which
# imports locale and searches for catalogs; Python ships none for argparse) and makes a
# HelpFormatter for every add_argument, each importing shutil (bz2, lzma) for the width.
argparse._ = lambda message: message  # type: ignore[attr-defined]
argparse.ngettext = lambda singular, plural, n: singular if n == 1 else plural  # type: ignore[attr-defined]
_columns: list[int] = []


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns` (COLUMNS, else stdout's terminal, else 80), once."""
    if not _columns:
        try:
            columns = int(os.environ["COLUMNS"])
        except (KeyError, ValueError):
            columns = 0
        if columns <= 0:
            try:
                stdout = sys.__stdout__
                columns = (os.get_terminal_size(stdout.fileno()).columns if stdout else 0) or 80
            except (ValueError, OSError):
                columns = 80
        _columns.append(columns)
    return _columns[0]


class Parser(argparse.ArgumentParser):
    """Bad flags are engine errors (exit 125, one line), as in Docker and Podman. No
    abbreviations: `--pid` must not silently mean `--pids-limit`."""

    synopsis = ""  # the usage line's arguments when Podman's differ from the positionals'

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw["allow_abbrev"] = False
        super().__init__(*args, **kw)
        self._given: list[str] = []

    def error(self, message: str) -> NoReturn:
        # Podman's (cobra's) words, which scripts and its own tests (015-help, 300-cli-parsing)
        # read: the error, then a line saying where the usage is.
        see = f"\nSee '{self.prog} --help'"
        if message.startswith("unrecognized arguments: "):
            _podmans_flag(self.prog, message)
            words = self._unrecognized(message.split()[2:])
            raise UsageError(words + see if "flag" in words else words)  # as cobra's
        if message.endswith(": expected one argument") and message.startswith("argument "):
            names = message[len("argument "):-len(": expected one argument")].split("/")
            given = [a for a in self._given if a in names]
            name = given[-1] if given else names[-1]
            what = f"'{name[1:]}' in {name}" if not name.startswith("--") else name
            raise UsageError(f"flag needs an argument: {what}{see}")
        if message.startswith("argument ") and ': invalid argument "' in message:
            # a flag's value refused in Podman's words (pflag's): without argparse's prefix
            raise UsageError(message.partition(": ")[2] + see)
        required = "the following arguments are required: "
        if message.startswith(required):
            missing = message[len(required):].split(", ")
            least, _ = self._arg_counts()
            short = sum(_counts(a)[0] for a in self._positional_args()
                        if (a.metavar or a.dest) in missing)  # fmt: skip
            raise UsageError(self._count_words(least - short))
        raise UsageError(f"{self.prog}: {message}{see}")

    def _positional_args(self) -> list[argparse.Action]:
        return [a for a in self._actions if not a.option_strings]

    def _arg_counts(self) -> tuple[int, int | None]:
        """The fewest and most arguments the verb takes (None: no limit)."""
        counts = [_counts(a) for a in self._positional_args()]
        most = [m for _, m in counts]
        return sum(n for n, _ in counts), None if None in most else sum(m or 0 for m in most)

    def _count_words(self, received: int) -> str:
        """cobra's words for a wrong number of arguments (ExactArgs, MinimumNArgs, ...)."""
        least, most = self._arg_counts()
        if most is None:
            return f"requires at least {least} arg(s), only received {received}"
        if least == most:
            return f"accepts {most} arg(s), received {received}"
        if least == 0:
            return f"accepts at most {most} arg(s), received {received}"
        return f"accepts between {least} and {most} arg(s), received {received}"

    def _unrecognized(self, extra: list[str]) -> str:
        """cobra's words for an unknown flag or for arguments past the verb's last one."""
        flag = next((word for word in extra if word.startswith("-") and word != "-"), None)
        if flag is not None:
            name = flag.partition("=")[0]
            if name.startswith("--"):
                return f"unknown flag: {name}"
            return f"unknown shorthand flag: '{name[1:2]}' in {name}"
        if not self._positional_args():
            return f"`{self.prog}` takes no arguments"
        return self._count_words((self._arg_counts()[1] or 0) + len(extra))

    def _get_formatter(self) -> argparse.HelpFormatter:
        return self.formatter_class(prog=self.prog, width=terminal_columns() - 2)  # type: ignore[call-arg]

    def format_help(self) -> str:  # fidelity: Podman's layout
        from supervisor.cli.helpfmt import podman_help

        return podman_help(self)

    def parse_known_args(  # type: ignore[override]
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if args is not None:
            args = go_bools(self, list(args))
            self._given = args  # for error(): which spelling of a flag was typed
        return super().parse_known_args(args, namespace)


def _counts(action: argparse.Action) -> tuple[int, int | None]:
    """How many arguments a positional takes: fewest, most (None: any number)."""
    nargs = getattr(action, "save_nargs", action.nargs)  # parse_intermixed_args sets it aside
    if nargs is None:
        return 1, 1
    if isinstance(nargs, int):
        return nargs, nargs
    return {"?": (0, 1), "+": (1, None)}.get(str(nargs), (0, None))


def _podmans_flag(prog: str, message: str) -> None:
    """A flag Podman 4.3 has for this verb but scopebox does not: say so, not 'unrecognized'."""
    from supervisor.cli.podman_flags import NOT_IMPLEMENTED

    verb = prog.partition(" ")[2]
    for word in message.split()[2:]:
        flag = word.partition("=")[0]
        if flag in NOT_IMPLEMENTED.get(verb, ()):
            raise UsageError(f"{prog}: {flag} is a Podman 4.3 flag that scopebox does not"
                             " implement yet (docs/COMPAT.md lists them)")




def go_uint(flag: str) -> Callable[[str], int]:
    """A Go uint flag, with pflag's words for a bad value."""
    def parse(value: str) -> int:
        if not value.isascii() or not value.isdigit():
            raise argparse.ArgumentTypeError(
                f'invalid argument "{value}" for "{flag}" flag: strconv.ParseUint: parsing'
                f' "{value}": invalid syntax'
            )
        return int(value)

    return parse


def go_bools(parser: argparse.ArgumentParser, args: list[str]) -> list[str]:
    """Go's boolean flag syntax, which Podman's scripts use: `--new=false`, `--rm=true`.
    Where a command line ends in the container's own arguments (run, exec), only the part
    before the first positional is ours."""
    flags = {
        opt
        for action in parser._actions
        if isinstance(action, argparse._StoreTrueAction)
        for opt in action.option_strings
    }
    # booleans with an optional value (`--tls-verify[=false]`): Go takes a value only after
    # `=`, so `run --tls-verify busybox` must not read busybox as the value
    optional = {
        opt
        for action in parser._actions
        if action.nargs == argparse.OPTIONAL and action.const is True
        for opt in action.option_strings
    }
    valueless = flags | optional
    remainder = any(a.nargs == argparse.REMAINDER for a in parser._actions)
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == "--" or (remainder and not arg.startswith("-")
                           and not _is_value(args, i, valueless)):
            return out + args[i:]
        if arg in optional:
            out.append(f"{arg}=true")
            continue
        head, eq, value = arg.partition("=")
        if not eq or head not in flags:
            out.append(arg)
        elif value in GO_TRUE:
            out.append(head)
        elif value in GO_FALSE and f"{head}=false" in parser._option_string_actions:
            out.append(f"{head}=false")  # helper "flags": a flag true by default (--passwd)
        elif value not in GO_FALSE:
            raise UsageError(
                f'invalid argument "{value}" for "{head}" flag: strconv.ParseBool:'
                f' parsing "{value}": invalid syntax'
            )
    return out


def _is_value(args: list[str], i: int, flags: set[str]) -> bool:
    """Whether args[i] is the value of the option before it (`--name web`): an option takes
    a value unless it is a boolean (or a cluster of short ones, `-it`)."""
    prev = args[i - 1] if i > 0 else ""
    if not prev.startswith("-") or "=" in prev or prev in flags:
        return False
    return prev.startswith("--") or not all(f"-{c}" in flags for c in prev[1:])
