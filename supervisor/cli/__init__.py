"""The command-line face. `program()` is the name usage lines and cobra's errors print: as
Podman prints its argv[0] (a copy or link named `podman` says `podman`), the name the
command was run by, and `scopebox` under `python -m supervisor` or when called in-process."""

from __future__ import annotations

_program = ["scopebox"]
_invoked: list[str] = []  # the group and verb typed, when a verb was run through its group


def program() -> str:
    return _program[0]


def invoked(verb: str) -> str:
    """How usage lines name `verb`: as typed when a top-level verb was run through its group
    (`podman container attach --help` says `podman container attach`, as Podman's does)."""
    return _invoked[0] if _invoked and " " not in verb else verb


def set_invoked(words: str) -> None:
    _invoked[:] = [words]


def set_program(argv0: str) -> None:
    """From the process's argv[0] (main.entry); a script path (`__main__.py`) keeps ours."""
    name = argv0.rsplit("/", 1)[-1]
    if name and not name.endswith(".py") and not name.startswith("-"):
        _program[0] = name
