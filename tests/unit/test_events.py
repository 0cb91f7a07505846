"""events (issue 14): the record's two text forms, --filter, --since/--until, the monitor's
writer (the same line without json), the file writer's rotation and the follower."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conmon import events as monitor_events
from conmon.protocol import Options
from supervisor.errors import UsageError
from supervisor.events import read
from supervisor.events.filters import matches, parse_filters, parse_go_duration, parse_time
from supervisor.events.record import (
    Event,
    from_json,
    go_time_string,
    human,
    parse_rfc3339nano,
    rfc3339nano,
    to_json,
)
from supervisor.events.write import append_line, journal_fields, monitor_pieces
from tests.unit.test_conmon_imports import FORBIDDEN, loaded_modules

CID = "9be4a44dcd03d46745aeac91b438218058c7b7e26c9dadd67f5f638cefb28270"
T = 1_765_000_000_917_191_700  # 2025-12-06T05:46:40.9171917Z


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def died(**kw: object) -> Event:
    base: dict[str, object] = dict(type="container", status="died", time_ns=T, id=CID,
                                   name="a1", image="localhost/busybox:latest", exit_code=137,
                                   attributes=(("x", "y"),))  # fmt: skip
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def test_json_line_has_podmans_keys_in_podmans_order() -> None:
    # The line podman 4.3 wrote on this host for `rm -f` of a running container.
    assert to_json(died()) == (
        '{"ContainerExitCode":137,"ID":"' + CID + '","Image":"localhost/busybox:latest",'
        '"Name":"a1","Status":"died","Time":"2025-12-06T05:46:40.9171917Z",'
        '"Type":"container","Attributes":{"x":"y"}}'
    )


def test_json_leaves_out_empty_fields_but_keeps_attributes() -> None:
    tag = Event("image", "tag", T, id="ab" * 32, name="busybox")
    assert to_json(tag) == ('{"ID":"' + "ab" * 32 + '","Name":"busybox","Status":"tag",'
                            '"Time":"2025-12-06T05:46:40.9171917Z","Type":"image",'
                            '"Attributes":null}')  # fmt: skip
    net = Event("network", "connect", T, id=CID, name="c4", network="n2")
    assert list(json.loads(to_json(net))) == ["ID", "Name", "network", "Status", "Time",
                                              "Type", "Attributes"]  # fmt: skip
    health = died(status="health_status", exit_code=0, health_status="healthy", pod_id="p" * 64)
    assert list(json.loads(to_json(health))) == ["ID", "Image", "Name", "Status", "Time",
                                                 "Type", "health_status", "PodID", "Attributes"]
    assert '"Name":"<a&b>"' not in to_json(died(name="<a&b>"))  # Go escapes <, >, &
    assert "\\u003ca\\u0026b\\u003e" in to_json(died(name="<a&b>"))


def test_json_round_trip() -> None:
    for ev in (died(), died(attributes=()), Event("system", "refresh", T),
               Event("volume", "create", T, name="v1")):  # fmt: skip
        assert from_json(to_json(ev)) == ev
    assert from_json('{"Status":"x"') is None  # a torn line
    assert from_json("[]") is None


def test_human_lines_as_podman_prints_them() -> None:
    assert human(died()) == (
        "2025-12-06 05:46:40.9171917 +0000 UTC container died " + CID
        + " (image=localhost/busybox:latest, name=a1, x=y)"
    )
    assert human(died(), trunc=True).split()[6] == CID[:12]
    assert human(Event("image", "pull", T, name="busybox")).endswith("image pull  busybox")
    assert human(Event("volume", "remove", T, name="v1")).endswith("volume remove v1")
    pod = Event("pod", "create", T, id="a9" * 32, name="p1")
    assert human(pod).endswith(f"pod create {'a9' * 32} (image=, name=p1)")
    net = Event("network", "disconnect", T, id=CID, name="c4", network="n2")
    assert human(net).endswith(f"network disconnect {CID} (container={CID}, name=n2)")
    member = died(pod_id="p" * 64, attributes=(("b", "2"), ("a", "1")))
    assert human(member).endswith(f"name=a1, pod_id={'p' * 64}, a=1, b=2)")


def test_go_times() -> None:
    assert go_time_string(T) == "2025-12-06 05:46:40.9171917 +0000 UTC"
    assert rfc3339nano(T - 917_191_700) == "2025-12-06T05:46:40Z"
    assert parse_rfc3339nano("2025-12-06T05:46:40.9171917Z") == T
    assert parse_rfc3339nano("2025-12-06T06:46:40.9171917+01:00") == T
    assert parse_rfc3339nano("2025-12-06T05:46:40.9171917") == T  # local (UTC here)


def test_time_forms_of_since_and_until() -> None:
    now = T
    assert parse_time("2025-12-06T05:46:40.9171917Z", since=True) == T
    midnight = T - (5 * 3600 + 46 * 60 + 40) * 10**9 - 917_191_700
    assert parse_time("2025-12-06", since=True) == midnight
    assert parse_time("1765000000.5", since=True) == 1_765_000_000_500_000_000
    assert parse_time("1h30m", since=True, now_ns=now) == now - 5400 * 10**9
    assert parse_time("1h30m", since=False, now_ns=now) == now + 5400 * 10**9  # Podman's until
    assert parse_go_duration("1.5s") == 1_500_000_000
    assert parse_go_duration("300ms") == 300_000_000
    assert parse_go_duration("-2m") == -120 * 10**9
    for bad in ("", "1x", "h", "yesterday", "1h 2m"):
        assert parse_go_duration(bad) is None
    with pytest.raises(UsageError, match="unable to interpret time value"):
        parse_time("yesterday", since=True)


def test_filters_same_key_ored_different_keys_anded() -> None:
    a1, a2 = died(), died(id="ff" * 32, name="a2", status="start", attributes=())
    f = parse_filters(["container=a1", "container=a2", "event=died"])
    assert [matches(e, f) for e in (a1, a2)] == [True, False]
    assert matches(a2, parse_filters(["container=ffff", "status=start"]))  # id prefix, alias
    assert matches(a1, parse_filters(["label=x=y"]))
    assert not matches(a1, parse_filters(["label=x"]))  # a bare key: nothing (Podman 4.3)
    assert not matches(a1, parse_filters(["label=x=y", "label=nope=1", "event=start"]))
    img = Event("image", "tag", T, id="ab" * 32, name="busybox")
    assert matches(img, parse_filters(["image=busybox"]))
    assert not matches(img, parse_filters(["container=busybox"]))  # each key its own type
    assert not matches(a1, parse_filters(["image=localhost/busybox:latest"]))
    assert matches(Event("volume", "create", T, name="v1"), parse_filters(["volume=v1"]))
    net = Event("network", "connect", T, id=CID, name="c4", network="n2")
    assert matches(net, parse_filters(["network=n2", "type=network"]))
    assert matches(Event("pod", "stop", T, id="a9" * 32, name="p1"), parse_filters(["pod=p1"]))


@pytest.mark.parametrize("item", ["bogus=1", "event", "=x"])
def test_bad_filters_are_one_error(item: str) -> None:
    with pytest.raises(UsageError, match="is an invalid filter"):
        parse_filters([item])


def monitor_opts(ev: Event, backend: str = "file", path: str = "") -> Options:
    opts = Options()
    opts.cid, opts.name = CID, ev.name
    opts.events_backend, opts.events_file = backend, path
    pieces = monitor_pieces(ev)
    opts.events_head, opts.events_tail, opts.events_message, opts.events_fields = pieces
    return opts


def test_the_monitors_line_is_the_engines_line() -> None:
    opts = monitor_opts(died())
    assert monitor_events.line(opts, "died", T, 137).decode() == to_json(died()) + "\n"
    member = died(name="we-ird", status="health_status", exit_code=0, pod_id="p" * 64,
                  health_status="unhealthy", attributes=(("k", 'v"<&>\n'),))  # fmt: skip
    got = monitor_events.line(monitor_opts(member), "health_status", T, health="unhealthy")
    assert got.decode() == to_json(member) + "\n"
    assert monitor_events.go_time(T) == rfc3339nano(T)


def test_the_monitors_journal_fields_match_the_engines() -> None:
    opts = monitor_opts(died(), "journald")
    mine = dict(monitor_events.journal_fields(opts, "died", T, 137))
    engine = dict(journal_fields(died()))
    assert mine == engine
    back = read.entry_event({k: v.decode() for k, v in engine.items()})
    assert back == died()


def test_monitor_events_module_stays_lean() -> None:
    mods = loaded_modules("import conmon.monitor, conmon.events")
    assert "conmon.events" in mods
    assert not {m.split(".")[0] for m in mods} & (FORBIDDEN | {"fcntl"})


def test_file_writer_rotates_and_reader_reads_both(tmp_path: Path) -> None:
    path = str(tmp_path / "events" / "events.log")
    lines = [to_json(died(time_ns=T + i)) + "\n" for i in range(30)]
    for text in lines:
        append_line(path, text.encode(), max_size=len(lines[0]) * 10)
    assert os.path.exists(path + ".1")
    got = list(read.file_events(path, past=True, follow=False, deadline_ns=None))
    assert [e.time_ns for e in got] == list(range(T + 10, T + 30))[-len(got):]
    assert len(got) >= 10


def test_concurrent_writers_lose_and_tear_nothing(tmp_path: Path) -> None:
    """The monitor's writer and the engine's, in several processes at once."""
    path = str(tmp_path / "events.log")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from supervisor.events.write import append_line; from conmon import events as m;"
        "from conmon.protocol import Options; o = Options(); o.events_head = '\"ID\":\"c\"';"
        "[(append_line(sys.argv[2], b'{\"Status\":\"x\",\"Time\":\"2025-12-06T05:46:40Z\","
        "\"Type\":\"system\",\"Attributes\":null}\\n', 4000) if i % 2 else "
        "m.append(sys.argv[2], m.line(o, 'died', 1765000000000000000, 1))) for i in range(100)]"
    )
    repo = str(Path(__file__).resolve().parents[2])
    procs = [subprocess.Popen([sys.executable, "-c", code, repo, path]) for _ in range(6)]
    assert all(p.wait() == 0 for p in procs)
    text = Path(path).read_text() + (Path(path + ".1").read_text() if os.path.exists(
        path + ".1") else "")
    assert all(from_json(line) is not None for line in text.splitlines())


def test_follow_sees_new_lines_and_rotation(tmp_path: Path) -> None:
    path = str(tmp_path / "events" / "events.log")
    append_line(path, (to_json(died(time_ns=T)) + "\n").encode())  # before: not shown
    got: list[int] = []
    stream = read.file_events(path, past=False, follow=True,
                              deadline_ns=time.time_ns() + 5 * 10**9)  # fmt: skip

    def consume() -> None:
        for ev in stream:
            got.append(ev.time_ns)
            if len(got) == 12:
                return

    worker = threading.Thread(target=consume)
    worker.start()
    time.sleep(0.2)
    size = len(to_json(died()).encode()) + 1
    for i in range(1, 13):
        append_line(path, (to_json(died(time_ns=T + i)) + "\n").encode(), max_size=size * 6)
    worker.join(10)
    assert got == [T + i for i in range(1, 13)]


def test_journal_entry_is_scopeboxs_not_podmans() -> None:
    """DIFFERENCES.md, Events: our identifier and SCOPEBOX_* names, so a real Podman on the
    host never reads scopebox's containers as its own."""
    fields = dict(journal_fields(died(pod_id="p" * 64)))
    assert fields["SYSLOG_IDENTIFIER"] == b"scopebox"
    assert not any(k.startswith("PODMAN_") for k in fields)
    assert {k for k in fields if k.startswith("SCOPEBOX_")} == {
        "SCOPEBOX_EVENT", "SCOPEBOX_TYPE", "SCOPEBOX_TIME", "SCOPEBOX_ID", "SCOPEBOX_NAME",
        "SCOPEBOX_IMAGE", "SCOPEBOX_POD_ID", "SCOPEBOX_EXIT_CODE", "SCOPEBOX_LABELS"}
    assert fields["MESSAGE"].decode() == human(died(pod_id="p" * 64))


def test_time_parsing_fast_path_agrees_with_the_general_one() -> None:
    for text in ("2025-12-06T05:46:40Z", "2025-12-06T05:46:40.5Z",
                 "2025-12-06T05:46:40.123456789Z"):
        fast = parse_rfc3339nano(text)
        assert fast == parse_rfc3339nano(text.replace("Z", "+00:00"))  # the regex path
    with pytest.raises(ValueError):
        parse_rfc3339nano("2025-12-06T05:46:4xZ")


def test_follow_reads_a_file_rotated_twice_while_it_slept(tmp_path: Path) -> None:
    path = str(tmp_path / "events.log")
    append_line(path, (to_json(died(time_ns=T)) + "\n").encode())
    stream = read.file_events(path, past=True, follow=True,
                              deadline_ns=time.time_ns() + 3 * 10**9)  # fmt: skip
    assert next(stream).time_ns == T  # the follower holds events.log now
    size = len(to_json(died(time_ns=T + 1)).encode()) + 1  # one line of T+1..T+4
    for i in range(1, 5):  # two rotations before it reads again: (T, T+1), (T+2, T+3)
        append_line(path, (to_json(died(time_ns=T + i)) + "\n").encode(), max_size=size)
    assert json.loads(Path(path + ".1").read_text().splitlines()[0])["Time"].endswith("702Z")
    got = [next(stream).time_ns for _ in range(4)]
    assert got == [T + 1, T + 2, T + 3, T + 4]


def test_max_size_keeps_the_newer_half_and_says_so(tmp_path: Path) -> None:
    """containers.conf's events_logfile_max_size (090-events "log-file rotation"), Podman
    4.3's way: past it the file keeps the lines after the middle one, then a `system
    log-rotation PATH` event (Podman's human line), then the new line; below it, nothing."""
    from supervisor.events.write import append_truncating

    path = tmp_path / "events.txt"
    lines = [f'{{"Name":"n{i:02d}","Status":"pull","Type":"image"}}\n' for i in range(10)]
    path.write_text("".join(lines))
    size = path.stat().st_size
    append_truncating(str(path), b"new\n", size + 4)  # fits: appended only
    assert path.read_text() == "".join(lines) + "new\n"
    append_truncating(str(path), b"last\n", size)
    kept = path.read_text().splitlines(keepends=True)
    assert kept[:-2] == [*lines[6:], "new\n"]  # the middle fell in line 5
    rotation = json.loads(kept[-2])
    assert (rotation["Type"], rotation["Status"], rotation["Name"]) == (
        "system", "log-rotation", str(path))
    assert kept[-1] == "last\n"
    event = Event("system", "log-rotation", 0, name=str(path))
    assert human(event).endswith(f" system log-rotation {path}")


def test_events_logfile_max_size_takes_bytes_or_a_size(tmp_path: Path) -> None:
    from supervisor.settings import _conf_values

    conf = tmp_path / "containers.conf"
    assert _conf_values(str(conf), "[engine]\nevents_logfile_max_size = 4750\n") == {
        "events_logfile_max_size": 4750}
    assert _conf_values(str(conf), '[engine]\nevents_logfile_max_size = "1m"\n') == {
        "events_logfile_max_size": 1_000_000}
    with pytest.raises(UsageError, match="events_logfile_max_size"):
        _conf_values(str(conf), "[engine]\nevents_logfile_max_size = -5\n")
