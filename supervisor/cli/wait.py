"""scopebox wait CONTAINER...: print each container's exit code when it exits."""

from __future__ import annotations

from supervisor.cli.main import new_parser
from supervisor.cli.quick import APPEND, BOOL, VALUE, Quick, parse
from supervisor.cli.targets import add_target_flags, check_interval, targets  # helper "flags"
from supervisor.errors import UsageError
from supervisor.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from supervisor.api.containers import WaitReport
    from supervisor.cli.argparser import Parser

# Podman 4.3's --condition states (4.3 has no healthy/unhealthy), and the statuses of ours
# each is reached at: configured/initialized are Podman's steps before a start, which
# scopebox's `created` covers; removing and stopping are moments scopebox's verbs do not
# leave visible, so a wait for them ends with the exit.
WAIT_STATES = ("configured", "created", "exited", "initialized", "paused", "removing",
               "running", "stopped", "stopping")
_EXIT = frozenset({"stopped", "exited", "removing", "stopping"})
_REACHED = {"configured": "created", "created": "created", "initialized": "created",
            "running": "running", "paused": "paused"}


def parser() -> Parser:
    p = new_parser("wait", "Block until containers exit, then print their exit codes.")
    p.add_argument("containers", nargs="*")
    # helper "flags": --latest; --interval is validated (scopebox waits for the exit event,
    # it does not poll)
    add_target_flags(p)
    p.add_argument("-i", "--interval", default="250ms", help="polling interval (not needed)")
    # fidelity: Podman's --condition; the exit is waited for, other states polled
    p.add_argument("--condition", action="append", default=[],
                   help="the state to wait for (default stopped): " + ", ".join(WAIT_STATES))
    return p


# performance (issue 16): the flags `wait` parses without argparse (supervisor.cli.quick)
QUICK = Quick(
    flags={
        "-l": ("latest", BOOL), "--latest": ("latest", BOOL), "-i": ("interval", VALUE),
        "--interval": ("interval", VALUE), "--condition": ("condition", APPEND),
    },
    defaults={"containers": [], "latest": False, "interval": "250ms", "condition": []},
    positional=("containers", "*"),
)  # fmt: skip


def main(argv: list[str], settings: Settings) -> int:
    from supervisor.api import containers as api
    from supervisor.api.targets import resolve

    ns = parse(argv, QUICK) or parser().parse_args(argv)
    check_interval(ns.interval)
    refs = resolve(settings, targets(ns, ns.containers))
    for condition in ns.condition:
        if condition not in WAIT_STATES:
            raise UsageError(f"unknown container state: {condition}: invalid argument")
    states = frozenset(_REACHED[c] for c in ns.condition if c in _REACHED)
    if states:  # Podman polls for a state and prints -1 when it is reached
        from supervisor.health import parse_duration

        every = (int(ns.interval) * 1_000_000 if ns.interval.isdigit()
                 else parse_duration("--interval", ns.interval)) / 1e9  # fmt: skip
        on_exit = not _EXIT.isdisjoint(ns.condition)
        code = 0
        for ref, status in api.wait_state(settings, refs, states, max(every, 0.01), on_exit):
            if status == "exited":
                code = _print(api.wait(settings, [ref])) or code
            else:
                print(-1, flush=True)
        return code
    return _print(api.wait(settings, refs))


def _print(reports: list[WaitReport]) -> int:
    from supervisor.cli.output import print_reports

    return print_reports(reports, lambda r: r.exit_code)
