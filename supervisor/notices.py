"""Notices: what a user should know that is no error (a fallback taken, a change a full disk
kept from being saved). Library code calls `notice()` and never prints; the face running it
chooses where notices go (`listen`): the CLI writes each at once as one `Notice:` line on
stderr, a REST face would return them with the response. Unheard ones stay in `pending`."""

from __future__ import annotations

import contextlib
from _thread import get_ident  # (builtin: no import cost for the CLI)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


pending: list[str] = []
_sink: Callable[[str], None] | None = None
_said: set[str] = set()
# Podman's own warnings that it prints as they are (no prefix): scripts match their words.
verbatim: set[str] = set()


# per thread: the notices of one request of the API service, returned with its reply
_boxes: dict[int, list[str]] = {}


@contextlib.contextmanager
def captured() -> Iterator[list[str]]:
    """This thread's notices, kept in the list yielded instead of going to the sink (and
    each request's own, without the once-per-process rule): an API reply's Warnings."""
    box: list[str] = []
    _boxes[get_ident()] = box
    try:
        yield box
    finally:
        _boxes.pop(get_ident(), None)


def listen(sink: Callable[[str], None]) -> None:
    """Send every notice to `sink` from now on (and those already pending)."""
    global _sink
    _sink = sink
    while pending:
        sink(pending.pop(0))


def notice(message: str, podman_words: bool = False) -> None:
    """Tell the user once per process (the same fallback taken twice is one notice).
    `podman_words`: the line Podman prints, to be shown without the face's prefix."""
    box = _boxes.get(get_ident()) if _boxes else None
    if box is not None:
        if message not in box:
            box.append(message)
        return
    if message in _said:
        return
    _said.add(message)
    if podman_words:
        verbatim.add(message)
    if _sink is None:
        pending.append(message)
    else:
        _sink(message)
