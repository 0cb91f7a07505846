"""`stop` and `kill` (issue 16): each container tried on the quick path first
(supervisor/stopquick.py: a running one, without the engine), the engine's way for the rest.

Apart from `api.containers` (a large module: every verb's options) so that the common `stop`
and `kill` load neither it nor the engine; they are opened for the first item that needs them.
"""

from __future__ import annotations

from supervisor.api import Report, enter, session
from supervisor.errors import mapped
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from supervisor.engine import Engine


def stop(settings: Settings, refs: list[str], timeout: int | None, ignore: bool) -> list[Report]:
    from supervisor.stopquick import stop_quick

    return each(settings, refs, lambda ref: stop_quick(settings, ref, timeout),
                lambda eng, ref: eng.stop(ref, timeout), ignore)  # fmt: skip


def kill(settings: Settings, refs: list[str], signal: str = "SIGKILL") -> list[Report]:
    from supervisor.stopquick import kill_quick, quick_signal

    signum = quick_signal(signal)
    if signum is None:  # a name the quick path does not know: the engine's parse, its errors
        return each(settings, refs, lambda ref: None, lambda eng, ref: eng.kill(ref, signal))
    return each(settings, refs, lambda ref: kill_quick(settings, ref, signum),
                lambda eng, ref: eng.kill(ref, signal))  # fmt: skip


def each(settings: Settings, refs: list[str], quick: Callable[[str], str | None],
         slow: Callable[[Engine, str], Any], ignore: bool = False) -> list[Report]:  # fmt: skip
    """`api.containers._each`, each item tried on a quick path first (`quick`: the id when
    done, None for the engine's way, opened for the first item that needs it)."""
    import contextlib
    from functools import partial

    from supervisor.api import report_of

    reports: list[Report] = []
    with contextlib.ExitStack() as stack:
        eng: list[Engine] = []  # opened for the first item the quick path leaves

        def one(ref: str) -> Any:
            cid = quick(ref)
            if cid is not None:
                return cid
            if not eng:
                eng.append(stack.enter_context(session(settings)))
            return slow(eng[0], ref)

        with mapped():
            enter(settings)
        for ref in refs:
            report = report_of(ref, partial(one, ref), ignore)
            if report is not None:
                reports.append(report)
    return reports


def check_signal(value: str) -> None:
    """`kill -s`'s signal as Podman parses it (UsageError in its words), checked before any
    container is looked up."""
    from supervisor.signals import parse_signal

    parse_signal(value)
