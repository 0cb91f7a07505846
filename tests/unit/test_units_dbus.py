"""Pure tests of units.dbus: build each message, put it on the wire with jeepney, parse it back."""

from __future__ import annotations

from typing import Any

import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageType,
    Parser,
    new_error,
    new_method_return,
)
from jeepney.wrappers import new_signal

from units import dbus
from units.errors import (
    AccessDeniedError,
    BusError,
    InvalidArgumentsError,
    NoSuchProcessError,
    NoSuchUnitError,
    UnitExistsError,
    error_from_dbus,
)


def roundtrip(msg: Message, serial: int = 7) -> Message:
    """Serialise as a connection would and parse back as the receiving end would."""
    parser = Parser()
    parser.add_data(msg.serialise(serial=serial))
    parsed = parser.get_next_message()
    assert parsed is not None
    assert parser.get_next_message() is None
    return parsed


def fields(msg: Message) -> dict[HeaderFields, Any]:
    return dict(msg.header.fields)


def assert_manager_call(msg: Message, member: str, signature: str) -> None:
    f = fields(msg)
    assert msg.header.message_type is MessageType.method_call
    assert f[HeaderFields.destination] == "org.freedesktop.systemd1"
    assert f[HeaderFields.path] == "/org/freedesktop/systemd1"
    assert f[HeaderFields.interface] == "org.freedesktop.systemd1.Manager"
    assert f[HeaderFields.member] == member
    assert f[HeaderFields.signature] == signature


def test_start_transient_scope_message_on_the_wire() -> None:
    props = dbus.scope_properties(
        [1234, 5678],
        slice="machine.slice",
        description="scopebox monitor abc",
        extra=dbus.properties_from({"TasksMax": ("t", 512)}),
    )
    msg = roundtrip(dbus.start_transient_unit("scopebox-conmon-abc.scope", "fail", props))
    assert msg.header.serial == 7
    assert_manager_call(msg, "StartTransientUnit", "ssa(sv)a(sa(sv))")
    name, mode, wire_props, aux = msg.body
    assert (name, mode, aux) == ("scopebox-conmon-abc.scope", "fail", [])
    assert wire_props == [
        ("PIDs", ("au", [1234, 5678])),
        ("Slice", ("s", "machine.slice")),
        ("Delegate", ("b", True)),
        ("CollectMode", ("s", "inactive-or-failed")),
        ("DefaultDependencies", ("b", False)),
        ("Description", ("s", "scopebox monitor abc")),
        ("TasksMax", ("t", 512)),
    ]


def test_scope_properties_extras_as_pairs_and_no_description() -> None:
    props = dbus.scope_properties(
        [42], delegate=False, extra=dbus.properties_from([("CPUWeight", ("t", 50))])
    )
    names = [name for name, _ in props]
    assert "Description" not in names
    assert ("Delegate", ("b", False)) in props
    assert props[-1] == ("CPUWeight", ("t", 50))
    # The body must serialise with these variant signatures (a wrong one raises here).
    roundtrip(dbus.start_transient_unit("x.scope", "fail", props))


@pytest.mark.parametrize("pids", [[], [0], [12, -1]])
def test_scope_needs_real_pids(pids: list[int]) -> None:
    with pytest.raises(ValueError, match="pid"):
        dbus.scope_properties(pids)


def test_stop_kill_reset_get_unit_messages() -> None:
    stop = roundtrip(dbus.stop_unit("a.scope", "replace"))
    assert_manager_call(stop, "StopUnit", "ss")
    assert stop.body == ("a.scope", "replace")

    kill = roundtrip(dbus.kill_unit("a.scope", "all", 9))
    assert_manager_call(kill, "KillUnit", "ssi")
    assert kill.body == ("a.scope", "all", 9)

    reset = roundtrip(dbus.reset_failed_unit("a.scope"))
    assert_manager_call(reset, "ResetFailedUnit", "s")
    assert reset.body == ("a.scope",)

    get = roundtrip(dbus.get_unit("a.scope"))
    assert_manager_call(get, "GetUnit", "s")
    assert get.body == ("a.scope",)


def test_properties_get_message() -> None:
    path = "/org/freedesktop/systemd1/unit/a_2escope"
    msg = roundtrip(dbus.get_property(path, dbus.UNIT_INTERFACE, "ActiveState"))
    f = fields(msg)
    assert f[HeaderFields.path] == path
    assert f[HeaderFields.interface] == "org.freedesktop.DBus.Properties"
    assert f[HeaderFields.member] == "Get"
    assert f[HeaderFields.signature] == "ss"
    assert msg.body == ("org.freedesktop.systemd1.Unit", "ActiveState")


def test_job_removed_match_rule() -> None:
    msg = roundtrip(dbus.add_match(dbus.job_removed_rule()))
    f = fields(msg)
    assert f[HeaderFields.destination] == "org.freedesktop.DBus"
    assert f[HeaderFields.member] == "AddMatch"
    (rule,) = msg.body
    terms = set(rule.split(","))
    assert terms == {
        "type='signal'",
        "sender='org.freedesktop.systemd1'",
        "interface='org.freedesktop.systemd1.Manager'",
        "member='JobRemoved'",
        "path='/org/freedesktop/systemd1'",
    }


def test_hello_goes_to_the_bus_daemon() -> None:
    f = fields(roundtrip(dbus.hello()))
    assert f[HeaderFields.destination] == "org.freedesktop.DBus"
    assert f[HeaderFields.member] == "Hello"


def job_removed_signal(job: str, unit: str, result: str) -> Message:
    addr = DBusAddress(dbus.MANAGER_PATH, interface=dbus.MANAGER_INTERFACE)
    return new_signal(addr, "JobRemoved", "uoss", (17, job, unit, result))


def test_parse_job_removed() -> None:
    msg = roundtrip(job_removed_signal("/org/freedesktop/systemd1/job/17", "a.scope", "done"))
    assert dbus.parse_job_removed(msg) == dbus.JobRemoved(
        17, "/org/freedesktop/systemd1/job/17", "a.scope", "done"
    )


def test_parse_job_removed_ignores_other_messages() -> None:
    addr = DBusAddress(dbus.MANAGER_PATH, interface=dbus.MANAGER_INTERFACE)
    other = roundtrip(new_signal(addr, "UnitRemoved", "so", ("a.scope", "/x")))
    assert dbus.parse_job_removed(other) is None
    call = roundtrip(dbus.get_unit("a.scope"))
    assert dbus.parse_job_removed(call) is None


def test_parse_error_and_mapping() -> None:
    call = roundtrip(dbus.start_transient_unit("a.scope", "fail", dbus.scope_properties([1])))
    reply = roundtrip(
        new_error(call, "org.freedesktop.systemd1.UnitExists", "s", ("Unit a.scope exists",))
    )
    assert reply.header.fields[HeaderFields.reply_serial] == 7
    error = dbus.parse_error(reply)
    assert error == dbus.ErrorReply("org.freedesktop.systemd1.UnitExists", "Unit a.scope exists")
    exc = error_from_dbus(error.name, error.detail, "StartTransientUnit")
    assert isinstance(exc, UnitExistsError)
    assert "Unit a.scope exists" in str(exc)
    assert "StartTransientUnit" in str(exc)
    assert dbus.parse_error(roundtrip(new_method_return(call, "o", ("/job/1",)))) is None


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("org.freedesktop.systemd1.UnitExists", UnitExistsError),
        ("org.freedesktop.systemd1.NoSuchUnit", NoSuchUnitError),
        ("org.freedesktop.DBus.Error.AccessDenied", AccessDeniedError),
        ("org.freedesktop.DBus.Error.InvalidArgs", InvalidArgumentsError),
        ("org.freedesktop.DBus.Error.PropertyReadOnly", InvalidArgumentsError),
        ("org.freedesktop.DBus.Error.UnixProcessIdUnknown", NoSuchProcessError),
        ("org.freedesktop.systemd1.UnitMasked", BusError),
    ],
)
def test_error_names_map_to_classes(name: str, cls: type[BusError]) -> None:
    exc = error_from_dbus(name, "detail")
    assert type(exc) is cls
    assert exc.name == name


def test_parse_variant_of_properties_get_reply() -> None:
    call = roundtrip(dbus.get_property("/a", dbus.UNIT_INTERFACE, "ActiveState"))
    reply = roundtrip(new_method_return(call, "v", (("s", "active"),)))
    assert dbus.parse_variant(reply) == "active"


@pytest.mark.parametrize(
    "name",
    ["scopebox-conmon-" + "a" * 64 + ".scope", "machine.slice", "foo@bar.service", "a\\x2db.scope"],
)
def test_valid_unit_names(name: str) -> None:
    assert dbus.check_unit_name(name) == name


@pytest.mark.parametrize(
    "name", ["", ".scope", "a b.scope", "a.unknown", "a/b.scope", "x" * 250 + ".scope", "@.scope"]
)
def test_invalid_unit_names(name: str) -> None:
    with pytest.raises(ValueError, match="unit name"):
        dbus.stop_unit(name)


def test_invalid_modes_and_kill_targets() -> None:
    with pytest.raises(ValueError, match="job mode"):
        dbus.stop_unit("a.scope", "now")
    with pytest.raises(ValueError, match="KillUnit"):
        dbus.kill_unit("a.scope", "everyone")


def test_set_unit_properties_message() -> None:
    from jeepney.low_level import Parser

    from units import dbus as ud

    msg = ud.set_unit_properties("scopebox-x.scope", True, [("TasksMax", ("t", 64))])
    parser = Parser()
    parser.add_data(msg.serialise(serial=1))
    back = parser.get_next_message()
    assert back is not None
    assert back.header.fields[HeaderFields.member] == "SetUnitProperties"
    assert back.header.fields[HeaderFields.signature] == "sba(sv)"
    assert back.body == ("scopebox-x.scope", True, [("TasksMax", ("t", 64))])
