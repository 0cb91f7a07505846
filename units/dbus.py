"""Pure builders and parsers of the D-Bus messages scopebox exchanges with systemd.

No I/O here (jeepney's sans-IO core only): `units.systemd` sends these over a blocking
socket, and an async transport can send the very same messages later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, Message, MessageType, new_method_call
from jeepney.bus_messages import message_bus

SYSTEMD_BUS_NAME = "org.freedesktop.systemd1"
MANAGER_PATH = "/org/freedesktop/systemd1"
MANAGER_INTERFACE = "org.freedesktop.systemd1.Manager"
UNIT_INTERFACE = "org.freedesktop.systemd1.Unit"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"

MANAGER = DBusAddress(MANAGER_PATH, SYSTEMD_BUS_NAME, MANAGER_INTERFACE)

# A transient unit property as systemd's StartTransientUnit takes it: (name, (signature, value)).
Property = tuple[str, tuple[str, Any]]

# Unit types whose D-Bus interface carries `ControlGroup` (systemd's "cgroup context").
CGROUP_INTERFACES: dict[str, str] = {
    ".scope": "org.freedesktop.systemd1.Scope",
    ".service": "org.freedesktop.systemd1.Service",
    ".slice": "org.freedesktop.systemd1.Slice",
    ".socket": "org.freedesktop.systemd1.Socket",
    ".mount": "org.freedesktop.systemd1.Mount",
    ".swap": "org.freedesktop.systemd1.Swap",
}
_UNIT_SUFFIXES = (*CGROUP_INTERFACES, ".target", ".device", ".automount", ".timer", ".path")
# systemd's unit_name_is_valid(): these characters, at most 255 bytes, a known suffix.
_UNIT_NAME = re.compile(r"[A-Za-z0-9:_.\\@-]+")
_JOB_MODES = frozenset(
    {"replace", "fail", "isolate", "ignore-dependencies", "ignore-requirements", "flush"}
)


def check_unit_name(name: str) -> str:
    """Return `name` if systemd would accept it as a unit name, else raise ValueError."""
    if (
        len(name) > 255
        or not _UNIT_NAME.fullmatch(name)
        or not name.endswith(_UNIT_SUFFIXES)
        or name.startswith(".")
        or name.rsplit(".", 1)[0] in ("", "@")
    ):
        raise ValueError(f"invalid systemd unit name {name!r}")
    return name


def _check_mode(mode: str) -> str:
    if mode not in _JOB_MODES:
        raise ValueError(f"invalid systemd job mode {mode!r}")
    return mode


def scope_properties(
    pids: Sequence[int],
    *,
    slice: str = "machine.slice",
    description: str = "",
    delegate: bool = True,
    extra: Iterable[Property] = (),
) -> list[Property]:
    """Properties of a transient scope around `pids`, in the order systemd receives them."""
    if not pids or any(pid <= 0 for pid in pids):
        raise ValueError(f"a scope needs at least one positive pid, got {list(pids)!r}")
    props: list[Property] = [
        ("PIDs", ("au", [int(pid) for pid in pids])),
        ("Slice", ("s", check_unit_name(slice))),
        ("Delegate", ("b", delegate)),
        ("CollectMode", ("s", "inactive-or-failed")),
        ("DefaultDependencies", ("b", False)),
    ]
    # No LogRateLimitIntervalUSec: it is an exec-context setting, systemd (252) refuses it on
    # scopes ("PropertyReadOnly"), and per unit 0 means "journald.conf's default", not "off".
    # Container output gets journald's per-unit burst file instead (supervisor.journal_limit).
    if description:
        props.append(("Description", ("s", description)))
    props.extend(extra)
    return props


def properties_from(extra: dict[str, tuple[str, Any]] | Iterable[Property]) -> list[Property]:
    """Normalise a `{name: (signature, value)}` dict or a list of pairs to a list of pairs."""
    items = extra.items() if isinstance(extra, dict) else extra
    return [(str(name), (str(sig), value)) for name, (sig, value) in items]


def start_transient_unit(
    name: str, mode: str, properties: Sequence[Property], aux: Sequence[Any] = ()
) -> Message:
    """Manager.StartTransientUnit(name, mode, properties, aux) -> job object path."""
    body = (check_unit_name(name), _check_mode(mode), list(properties), list(aux))
    return new_method_call(MANAGER, "StartTransientUnit", "ssa(sv)a(sa(sv))", body)


def set_unit_properties(name: str, runtime: bool, properties: Sequence[Property]) -> Message:
    """Manager.SetUnitProperties(name, runtime, properties): change a live unit."""
    body = (check_unit_name(name), runtime, list(properties))
    return new_method_call(MANAGER, "SetUnitProperties", "sba(sv)", body)


def stop_unit(name: str, mode: str = "replace") -> Message:
    return new_method_call(MANAGER, "StopUnit", "ss", (check_unit_name(name), _check_mode(mode)))


def restart_unit(name: str, mode: str = "replace") -> Message:
    return new_method_call(MANAGER, "RestartUnit", "ss", (check_unit_name(name), _check_mode(mode)))


def kill_unit(name: str, who: str = "all", signal: int = 15) -> Message:
    if who not in ("main", "control", "all"):
        raise ValueError(f"invalid KillUnit target {who!r}")
    return new_method_call(MANAGER, "KillUnit", "ssi", (check_unit_name(name), who, signal))


def reset_failed_unit(name: str) -> Message:
    return new_method_call(MANAGER, "ResetFailedUnit", "s", (check_unit_name(name),))


def get_unit(name: str) -> Message:
    """Manager.GetUnit(name) -> unit object path; NoSuchUnit if it is not loaded."""
    return new_method_call(MANAGER, "GetUnit", "s", (check_unit_name(name),))


def get_property(object_path: str, interface: str, prop: str) -> Message:
    """org.freedesktop.DBus.Properties.Get(interface, prop) -> variant."""
    addr = DBusAddress(object_path, SYSTEMD_BUS_NAME, PROPERTIES_INTERFACE)
    return new_method_call(addr, "Get", "ss", (interface, prop))


def hello() -> Message:
    """The bus daemon's Hello; never sent on systemd's peer-to-peer socket."""
    msg: Message = message_bus.Hello()
    return msg


def job_removed_rule() -> MatchRule:
    return MatchRule(
        type="signal",
        sender=SYSTEMD_BUS_NAME,
        interface=MANAGER_INTERFACE,
        member="JobRemoved",
        path=MANAGER_PATH,
    )


def unit_removed_rule() -> MatchRule:
    return MatchRule(
        type="signal",
        sender=SYSTEMD_BUS_NAME,
        interface=MANAGER_INTERFACE,
        member="UnitRemoved",
        path=MANAGER_PATH,
    )


def subscribe() -> Message:
    """Manager.Subscribe(): on the bus, systemd emits unit signals only while someone is."""
    return new_method_call(MANAGER, "Subscribe")


def add_match(rule: MatchRule) -> Message:
    msg: Message = message_bus.AddMatch(rule)
    return msg


@dataclass(frozen=True, slots=True)
class JobRemoved:
    """Manager.JobRemoved(id, job, unit, result)."""

    id: int
    job: str
    unit: str
    result: str


def parse_job_removed(msg: Message) -> JobRemoved | None:
    """The JobRemoved signal in `msg`, or None if `msg` is something else."""
    if not _is_manager_signal(msg, "JobRemoved", "uoss"):
        return None
    job_id, job, unit, result = msg.body
    return JobRemoved(int(job_id), str(job), str(unit), str(result))


def parse_unit_removed(msg: Message) -> str | None:
    """The unit name of a UnitRemoved(name, path) signal, or None for any other message."""
    if not _is_manager_signal(msg, "UnitRemoved", "so"):
        return None
    return str(msg.body[0])


def _is_manager_signal(msg: Message, member: str, signature: str) -> bool:
    fields = msg.header.fields
    return bool(
        msg.header.message_type is MessageType.signal
        and fields.get(HeaderFields.interface) == MANAGER_INTERFACE
        and fields.get(HeaderFields.member) == member
        and fields.get(HeaderFields.signature) == signature
    )


@dataclass(frozen=True, slots=True)
class ErrorReply:
    name: str
    detail: str


def parse_error(msg: Message) -> ErrorReply | None:
    """The D-Bus error in a reply, or None if the reply is a method return."""
    if msg.header.message_type is not MessageType.error:
        return None
    name = str(msg.header.fields.get(HeaderFields.error_name, ""))
    detail = str(msg.body[0]) if msg.body and isinstance(msg.body[0], str) else ""
    return ErrorReply(name, detail)


def parse_variant(msg: Message) -> Any:
    """The value of a Properties.Get reply (the variant's payload, its signature dropped)."""
    ((_signature, value),) = msg.body
    return value


def method_name(msg: Message) -> str:
    return str(msg.header.fields.get(HeaderFields.member, ""))
