"""Per-blob progress of a pull or push: lines redrawn in place on a terminal, nothing otherwise.

Threads report concurrently; drawing is throttled (10 frames a second) and serialised.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f}{unit}" if unit != "B" else f"{int(n)}B"
        n /= 1024
    return f"{n:.1f}GiB"


class Progress:
    """The silent base: what a non-terminal or `-q` gets."""

    def begin(self, key: str, label: str, total: int | None) -> None:
        pass

    def advance(self, key: str, n: int) -> None:
        pass

    def finish(self, key: str, status: str) -> None:
        pass

    def stored(self, config_digest: str) -> None:
        """The image is recorded (its config's digest is its id)."""

    def note(self, line: str) -> None:
        """A step of a manifest list's push (Podman's words), before each of its images."""

    def close(self) -> None:
        pass


class WordsProgress(Progress):
    """Podman's lines for a pull where no progress bars are drawn (stderr not a terminal, or
    a remote client): scripts and Podman's own tests read them. `say` writes one line."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self._said: set[str] = set()
        self._copying = False

    def _copy_begins(self) -> None:
        """Once the manifest is read (a refused or missing image never gets this far)."""
        if not self._copying:
            self._copying = True
            self._say("Getting image source signatures")

    def begin(self, key: str, label: str, total: int | None) -> None:
        self._copy_begins()

    def finish(self, key: str, status: str) -> None:
        self._copy_begins()
        if key not in self._said:  # a blob already stored is listed too, as Podman's
            self._said.add(key)
            self._say(f"Copying blob {key}")

    def stored(self, config_digest: str) -> None:
        self._copy_begins()
        self._say(f"Copying config {config_digest}")
        self._say("Writing manifest to image destination")
        self._say("Storing signatures")

    def note(self, line: str) -> None:
        self._say(line)
        self._copying = False  # the next image says its own words, as Podman's
        self._said.clear()


# run/create (issue 19, -q): the sink for a pull they make, asked for only when one happens
# (the CLI's: it says "Trying to pull REF..." on a terminal unless -q); given the reference
PullProgress = Callable[[str], Progress]


@dataclass
class _Line:
    label: str
    total: int | None
    done: int = 0
    start: float = field(default_factory=time.monotonic)
    status: str = ""
    end: float | None = None

    def render(self) -> str:
        now = self.end or time.monotonic()
        speed = self.done / max(now - self.start, 1e-3)
        size = human(self.done) + (f" / {human(self.total)}" if self.total else "")
        if self.status:
            return f"{self.label}  {size}  {self.status}"
        pct = f"{100 * self.done // self.total:3d}% " if self.total else ""
        return f"{self.label}  {pct}{size}  {human(speed)}/s"


class TerminalProgress(Progress):
    def __init__(self, out: TextIO, interval: float = 0.1) -> None:
        self._out = out
        self._lines: dict[str, _Line] = {}
        self._drawn = 0
        self._lock = threading.Lock()
        self._last = 0.0
        self._interval = interval

    def begin(self, key: str, label: str, total: int | None) -> None:
        with self._lock:
            self._lines[key] = _Line(label, total)
            self._draw(force=True)

    def advance(self, key: str, n: int) -> None:
        with self._lock:
            line = self._lines.get(key)
            if line is not None:
                line.done += n
            self._draw()

    def finish(self, key: str, status: str) -> None:
        with self._lock:
            line = self._lines.get(key)
            if line is not None:
                line.status, line.end = status, time.monotonic()
            self._draw(force=True)

    def close(self) -> None:
        with self._lock:
            self._draw(force=True)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self._interval:
            return
        self._last = now
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        body = "".join(f"\x1b[2K{line.render()}\n" for line in self._lines.values())
        self._out.write(up + body)
        self._out.flush()
        self._drawn = len(self._lines)
