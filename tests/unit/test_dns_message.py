"""The responder's answering rules, on the wire format (pure: bytes in, bytes out)."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.network.db import NetworkDB
from supervisor.network.dns import message, records
from supervisor.network.dns.message import Forward, RCode, Records, Reply, RType
from supervisor.paths import Paths
from supervisor.store import Store

MID, LONE = "c" * 64, "d" * 64
WEB = "1f2e3d4c5b6a" + "0" * 52
DB = "abcdef012345" + "1" * 52
RECS = Records.build([
    ("10.89.0.2", ["web", WEB[:12], "frontend"]),
    ("10.89.0.3", ["db", DB[:12]]),
    ("fd00::3", ["db"]),
])


def ask(name: str, qtype: int = RType.A, recs: Records = RECS,
        internal: bool = False) -> message.Parsed | Forward:
    d = message.decide(message.make_query(name, qtype), recs, internal=internal)
    assert d is not None
    if isinstance(d, Forward):
        return d
    return message.parse_reply(d.data)


def reply(name: str, qtype: int = RType.A, **kw: object) -> message.Parsed:
    got = ask(name, qtype, **kw)  # type: ignore[arg-type]
    assert isinstance(got, message.Parsed), got
    return got


@pytest.mark.parametrize("name", ["web", "WEB", "web.dns.podman", "Web.DNS.Podman.",
                                  WEB[:12], "frontend", "frontend.dns.podman"])
def test_names_short_ids_aliases_any_case(name: str) -> None:
    r = reply(name)
    assert (r.rcode, r.authoritative, r.answers) == (0, True, ((RType.A, "10.89.0.2"),))


def test_aaaa_and_nodata() -> None:
    assert reply("db", RType.AAAA).answers == ((RType.AAAA, "fd00::3"),)
    r = reply("web", RType.AAAA)  # a name of ours without an IPv6 address: NODATA
    assert (r.rcode, r.answers) == (RCode.NOERROR, ())
    assert reply("web", 16).answers == ()  # TXT
    assert {a for _, a in reply("db", RType.ANY).answers} == {"10.89.0.3", "fd00::3"}


def test_unknown_under_our_domain_is_nxdomain_others_forwarded() -> None:
    r = reply("nosuch.dns.podman")
    assert (r.rcode, r.authoritative) == (RCode.NXDOMAIN, True)
    fwd = ask("example.org")
    assert isinstance(fwd, Forward) and fwd.query.qname == "example.org"
    assert isinstance(ask("nosuch"), Forward)  # a bare unknown name: the host's resolvers decide


def test_internal_network_never_forwards() -> None:
    assert reply("example.org", internal=True).rcode == RCode.REFUSED
    assert reply("web", internal=True).answers == ((RType.A, "10.89.0.2"),)


def test_ptr() -> None:
    r = reply("2.0.89.10.in-addr.arpa", RType.PTR)
    assert r.answers == ((RType.PTR, "web.dns.podman"), (RType.PTR, WEB[:12] + ".dns.podman"),
                         (RType.PTR, "frontend.dns.podman"))
    nibbles = ".".join(reversed(f"{0xfd00 << 112 | 3:032x}"))
    assert reply(f"{nibbles}.ip6.arpa", RType.PTR).answers == ((RType.PTR, "db.dns.podman"),)
    assert isinstance(ask("9.9.9.9.in-addr.arpa", RType.PTR), Forward)


def test_question_echoed_with_its_case_and_id() -> None:
    q = message.make_query("WeB.dns.podman", qid=0xBEEF)
    d = message.decide(q, RECS)
    assert isinstance(d, Reply)
    assert d.data[:2] == b"\xbe\xef" and b"\x03WeB\x03dns\x06podman\x00" in d.data


def test_bad_input() -> None:
    assert message.decide(b"\x01", RECS) is None  # no id to answer to: dropped
    r = message.decide(b"\x12\x34" + b"\x01\x00" + struct.pack("!HHHH", 2, 0, 0, 0), RECS)
    assert isinstance(r, Reply) and message.parse_reply(r.data).rcode == RCode.FORMERR
    notimp = bytearray(message.make_query("web"))
    notimp[2] |= 0x10  # opcode 2 (STATUS)
    r = message.decide(bytes(notimp), RECS)
    assert isinstance(r, Reply) and message.parse_reply(r.data).rcode == RCode.NOTIMP
    resp = bytearray(message.make_query("web"))
    resp[2] |= 0x80  # a response sent to us
    r = message.decide(bytes(resp), RECS)
    assert isinstance(r, Reply) and message.parse_reply(r.data).rcode == RCode.FORMERR


@given(st.binary(max_size=600))
def test_any_bytes_give_a_decision_never_an_exception(data: bytes) -> None:
    d = message.decide(data, RECS)
    if isinstance(d, Reply):
        assert d.data[:2] == data[:2] and len(d.data) <= message.MAX_UDP
        message.parse_reply(d.data)


label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=20)


@given(st.lists(label, min_size=1, max_size=4), st.randoms())
def test_known_name_in_any_case_resolves(labels: list[str], rnd: random.Random) -> None:
    name = ".".join(labels)
    recs = Records.build([("10.0.0.7", [name])])
    mixed = "".join(c.upper() if rnd.random() < 0.5 else c for c in name)
    assert reply(mixed, recs=recs).answers == ((RType.A, "10.0.0.7"),)
    assert reply(mixed + ".dns.podman", recs=recs).answers == ((RType.A, "10.0.0.7"),)


def test_records_from_the_store(tmp_path: Path) -> None:
    """Names from the containers table, short ids, aliases of leased containers only."""
    store = Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))
    ndb = NetworkDB(store)
    with store.transaction() as db:
        db.execute("INSERT INTO networks SELECT 'n1', 'x' || id, 'podman9', created, data"
                   " FROM networks WHERE name = 'podman'")
    lease = ndb.lease("n1", WEB, "sbx0")
    records.set_aliases(store, "n1", WEB, ["front", "www"])
    records.set_aliases(store, "n1", DB, ["stale"])  # no lease: never answers
    conn = records.connect(store.paths.db)
    recs = records.read(conn, "n1")
    assert recs.by_name == {WEB[:12]: (lease.address,), "front": (lease.address,),
                            "www": (lease.address,)}
    records.set_aliases(store, "n1", WEB, ["www"])
    assert set(records.read(conn, "n1").by_name) == {WEB[:12], "www"}
    assert records.read(conn, "podman").by_name == {}
    assert records.users(conn, "n1") == 1
    ndb.release(WEB)
    assert records.read(conn, "n1").by_name == {} and records.users(conn, "n1") == 0
    store.close()


def test_a_container_on_two_networks_resolves_both(tmp_path: Path) -> None:
    """Asked on one network, the responder also answers the names of the querying
    container's other DNS-enabled networks (compose: a service on a front and a back
    network reaches both); a container on one network sees only that one."""
    store = Store(Paths(str(tmp_path / "root"), str(tmp_path / "run")))
    ndb = NetworkDB(store)
    with store.transaction() as db:
        for i, name in enumerate(("front", "back")):
            db.execute("INSERT INTO networks SELECT ?, ? || id, ?, created,"
                       " json_set(data, '$.dns_enabled', json('true'))"
                       " FROM networks WHERE name = 'podman'", (name, f"x{i}", f"sbx{i}"))
    web = ndb.lease("front", WEB, "sbx0")
    ndb.lease("back", DB, "sbx1")
    mid_front, mid_back = ndb.lease("front", MID, "sbx0"), ndb.lease("back", MID, "sbx1")
    records.set_aliases(store, "front", WEB, ["web"])
    records.set_aliases(store, "back", DB, ["db"])
    conn = records.connect(store.paths.db)
    assert records.read(conn, "back", mid_back.address).by_name["web"] == (web.address,)
    assert "db" in records.read(conn, "front", mid_front.address).by_name
    lone = ndb.lease("back", LONE, "sbx1")
    assert "web" not in records.read(conn, "back", lone.address).by_name
    assert "web" not in records.read(conn, "back").by_name
    store.close()


def test_lifecycle_imports_only_the_standard_library() -> None:
    """`release` runs from the monitor's exit command under `python3 -I -S`."""
    import subprocess
    import sys

    repo = str(Path(__file__).resolve().parents[2])
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import supervisor.network.dns;"
            " from supervisor.network.dns import lifecycle;"
            " print(sorted({m.split('.')[0] for m in sys.modules} - sys.stdlib_module_names"
            " - {'supervisor', '__main__'}))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, repo], check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_systemd_mode_needs_the_managers_socket_not_just_its_directory(tmp_path: Path) -> None:
    """A host without systemd where something installed a unit in /run/systemd/system (Podman's
    own tests do) has sd_booted()'s directory but no manager: systemd-run fails there with
    "Failed to connect to bus", so the responder must run as a process."""
    import socket

    from supervisor.network.dns import lifecycle

    marker, private = tmp_path / "system", tmp_path / "private"
    assert not lifecycle.systemd_manager(str(marker), str(private))
    marker.mkdir()
    assert not lifecycle.systemd_manager(str(marker), str(private))
    private.write_text("")  # a regular file is not the manager's socket
    assert not lifecycle.systemd_manager(str(marker), str(private))
    private.unlink()
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(private))
        assert lifecycle.systemd_manager(str(marker), str(private))
