"""The nftables ruleset, rendered (pure) and applied (libnftables in-process, `Session`).

One table of our own, `inet scopebox` (never another program's tables or chains):

- base chains: `prerouting` and `output` (nat, dstnat) jump to `portfwd` for local destinations
  (`fib daddr type local`); `portfwd` DNATs through two maps, so a published port is one map
  element, not a rule: `pf4_addr` (host address . proto . port) and `pf4_any` (proto . port,
  every host address). `forward` accepts DNATed and established traffic and hands the rest to
  the network's chain by input bridge (`fwd_in` verdict map). `postrouting` masquerades DNATed
  traffic from 127.0.0.0/8 (with `route_localnet` on the bridge: localhost works) and sends
  traffic coming from a bridge to its network's nat chain (`nat_in` verdict map).
- per network, made once (`add` + `flush` + rules: idempotent): `nw_<bridge>` (forward: its
  own bridge yes, other scopebox bridges no, `--internal` nothing else) and `nwnat_<bridge>`
  (hairpin: DNATed traffic back into its own bridge is masqueraded; outbound masquerade unless
  internal).

Netavark marks packets (0x2000) and masquerades marked ones; `ct status dnat` says the same
without taking a mark bit another program (a VPN, a firewall) may use.

Element removal is written as `add` then `delete` in one transaction: the pair succeeds whether
or not the element was there, so teardown is idempotent on nft 1.0.6 (no `destroy` yet).
Values come from the store, already validated (addresses by `ipaddress`, bridge names ours,
ports ints): nothing a user typed reaches this text unchecked.
"""

from __future__ import annotations

import _thread
import os
import subprocess
import time
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from supervisor.network import rtnl

TABLE = "inet scopebox"


class NetRules(NamedTuple):
    """What the ruleset needs of one network."""

    bridge: str
    subnets: tuple[str, ...]  # CIDRs
    internal: bool = False
    gateways: tuple[str, ...] = ()  # the bridge's addresses: "10.88.0.1/16"


class Forward(NamedTuple):
    """One published port: host side -> container side (IPv4 or IPv6, by container_ip)."""

    proto: str
    host_port: int
    host_ip: str  # "" = every local address
    container_ip: str
    container_port: int


# Declared in block form (as idempotent as `add`). Verdict maps are keyed by bridge name, not
# by subnet: nft 1.0.6 refuses, in one transaction, an interval-map element that jumps to a
# chain made in that transaction.
DECLARATIONS = """table inet scopebox {
    map pf4_addr { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
    map pf4_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
    set bridges { type ifname; }
    map fwd_in { type ifname : verdict; }
    map nat_in { type ifname : verdict; }
    map nat_src { type ipv4_addr : verdict; }
    map pf6_addr { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }
    map pf6_any { type inet_proto . inet_service : ipv6_addr . inet_service; }
    map nat_src6 { type ipv6_addr : verdict; }
    chain portfwd { }
    chain prerouting { type nat hook prerouting priority dstnat; policy accept; }
    chain output { type nat hook output priority -100; policy accept; }
    chain forward { type filter hook forward priority filter; policy accept; }
    chain postrouting { type nat hook postrouting priority srcnat; policy accept; }
}
"""
BASE_RULES = {
    "portfwd": [
        "dnat ip to ip daddr . meta l4proto . th dport map @pf4_addr",
        "dnat ip to meta l4proto . th dport map @pf4_any",
        # IPv6 (net6): the same maps for containers' IPv6 addresses (no ::1: the kernel
        # never routes a loopback source out, and IPv6 has no route_localnet)
        "dnat ip6 to ip6 daddr . meta l4proto . th dport map @pf6_addr",
        "dnat ip6 to meta l4proto . th dport map @pf6_any",
    ],
    "prerouting": ["fib daddr type local jump portfwd"],
    "output": ["fib daddr type local jump portfwd"],
    "forward": [
        "ct state established,related accept",
        "ct status dnat accept",
        "iifname vmap @fwd_in",
    ],
    "postrouting": [
        "ct status dnat ip saddr 127.0.0.0/8 masquerade",
        # The input device is unknown in postrouting: a container's address names its
        # network (one element per container, like its forwards; `nat_in` stays unused).
        "ip saddr vmap @nat_src",
        "ip6 saddr vmap @nat_src6",
    ],
}


def skeleton() -> str:
    """The table, its maps and base chains; re-running it replaces the base chains' rules."""
    lines = [DECLARATIONS]
    for chain, rules in BASE_RULES.items():
        lines += _chain(chain, rules)[1:]
    return "\n".join(lines) + "\n"


def _chain(name: str, rules: Sequence[str]) -> list[str]:
    return [f"add chain {TABLE} {name}", f"flush chain {TABLE} {name}",
            *(f"add rule {TABLE} {name} {rule}" for rule in rules)]


def network_add(n: NetRules) -> str:
    br = n.bridge
    fwd = [f'oifname "{br}" accept', "oifname @bridges drop"]
    # hairpin: DNATed traffic back into its own bridge; then the way out (not internal)
    nat = [f'ct status dnat oifname "{br}" masquerade']
    if n.internal:
        fwd.append("drop")
    else:
        nat.append(f'oifname != "{br}" masquerade')
    lines = [*_chain(f"nw_{br}", fwd), *_chain(f"nwnat_{br}", nat),
             f'add element {TABLE} bridges {{ "{br}" }}',
             f'add element {TABLE} fwd_in {{ "{br}" : jump nw_{br} }}',
             f'add element {TABLE} nat_in {{ "{br}" : jump nwnat_{br} }}']
    return "\n".join(lines) + "\n"


def network_remove(n: NetRules) -> str:
    br = n.bridge
    elems = [("bridges", f'"{br}"'), ("fwd_in", f'"{br}" : jump nw_{br}'),
             ("nat_in", f'"{br}" : jump nwnat_{br}')]
    chains = (f"nw_{br}", f"nwnat_{br}")
    lines = [f"add chain {TABLE} {chain}" for chain in chains]  # the elements jump to them
    lines += _remove_elements(elems)
    lines += [f"delete chain {TABLE} {chain}" for chain in chains]
    return "\n".join(lines) + "\n"


def _element(f: Forward) -> tuple[str, str]:
    value = f"{f.container_ip} . {f.container_port}"
    family = "pf6" if ":" in f.container_ip else "pf4"
    if f.host_ip:
        return f"{family}_addr", f"{f.host_ip} . {f.proto} . {f.host_port} : {value}"
    return f"{family}_any", f"{f.proto} . {f.host_port} : {value}"


class Source(NamedTuple):
    """A container's address on a network: its traffic goes to the network's nat chain."""

    address: str
    bridge: str


def _source(s: Source) -> tuple[str, str]:
    return "nat_src6" if ":" in s.address else "nat_src", f"{s.address} : jump nwnat_{s.bridge}"


def sources_add(sources: Iterable[Source]) -> str:
    return "".join(f"add element {TABLE} {m} {{ {e} }}\n" for m, e in map(_source, sources))


def sources_remove(sources: Iterable[Source]) -> str:
    """Idempotent, like `forwards_remove` (the chain is added first: the element jumps to it)."""
    sources = list(sources)
    lines = [f"add chain {TABLE} nwnat_{b}" for b in dict.fromkeys(s.bridge for s in sources)]
    return "\n".join(lines + _remove_elements([_source(s) for s in sources])) + "\n"


def forwards_add(forwards: Iterable[Forward]) -> str:
    return "".join(f"add element {TABLE} {m} {{ {e} }}\n" for m, e in map(_element, forwards))


def forwards_remove(forwards: Iterable[Forward]) -> str:
    return "\n".join(_remove_elements([_element(f) for f in forwards])) + "\n"


def _remove_elements(elems: Iterable[tuple[str, str]]) -> list[str]:
    out = []
    for m, e in elems:
        key = e.split(" : ")[0]
        out += [f"add element {TABLE} {m} {{ {e} }}", f"delete element {TABLE} {m} {{ {key} }}"]
    return out


def full(networks: Iterable[NetRules], forwards: Iterable[Forward],
         sources: Iterable[Source] = ()) -> str:
    """The whole table from the store, replacing whatever is there (one transaction)."""
    head = f"add table {TABLE}\ndelete table {TABLE}\n"
    return (head + skeleton() + "".join(network_add(n) for n in networks)
            + forwards_add(forwards) + sources_add(sources))


def delete_table() -> str:
    return f"add table {TABLE}\ndelete table {TABLE}\n"


# Applying -------------------------------------------------------------------------------------


class NftError(Exception):
    pass


class Session:
    """One libnftables context through ctypes (in-process: ~0.3 ms a transaction, against
    ~8 ms for an `nft -f -` process), its netlink socket opened in `netns` (None: this
    process' own namespace); without libnftables, each `run` is an `nft` process.

    Closing the socket right after a transaction that deleted anything waits for the
    kernel's deferred free of the old objects (an RCU grace period, 5-15 ms here): `fd` is
    the socket, which a child process may inherit so that the last close, and that wait,
    happen in the child (see `kernel.teardown`)."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns
        self.fd = -1
        self._ctx: int | None = None
        lib = _library()
        if lib is None:
            return
        with _FDS:  # no other thread's context opens or closes a socket meanwhile
            before = _netlink_fds()
            try:
                with rtnl.entered(netns):  # the socket is made in the namespace
                    ctx = lib.nft_ctx_new(0)
            except OSError as exc:
                raise NftError(f"cannot use the network namespace {netns!r}: "
                               f"{exc.strerror}") from None
            if not ctx:
                return
            self.fd = max(_netlink_fds() - before, default=-1)
        lib.nft_ctx_buffer_output(ctx)
        lib.nft_ctx_buffer_error(ctx)
        self._ctx = ctx

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, text: str) -> None:
        """One atomic transaction (all of `text` or nothing)."""
        lib = _library()
        if self._ctx is None or lib is None:
            _run_process(["-f", "-"], text, self.netns)
            return
        if lib.nft_run_cmd_from_buffer(self._ctx, text.encode()) != 0:
            err = (lib.nft_ctx_get_error_buffer(self._ctx) or b"").decode(errors="replace")
            raise NftError(f"nftables refused the ruleset: {_first(err)}")

    def table_exists(self) -> bool:
        try:
            if self._ctx is None:
                _run_process(["list", "table", "inet", "scopebox"], "", self.netns)
            else:
                self.run(f"list table {TABLE}")
        except NftError:
            return False
        return True

    def close(self) -> None:
        lib = _library()
        if self._ctx is not None and lib is not None:
            with _FDS:
                lib.nft_ctx_free(self._ctx)
        self._ctx = None
        self.fd = -1


def apply(text: str, netns: str | None = None) -> float:
    """One atomic transaction; returns the seconds it took."""
    t0 = time.monotonic()
    with Session(netns) as s:
        s.run(text)
    return time.monotonic() - t0


def table_exists(netns: str | None = None) -> bool:
    with Session(netns) as s:
        return s.table_exists()


def _first(err: str) -> str:
    return (err.strip().splitlines() or ["failed"])[0]


def _run_process(args: list[str], text: str, netns: str | None) -> None:
    argv = ["nft", *args]
    if netns:
        argv = ["nsenter", f"--net={netns}", *argv]
    try:
        proc = subprocess.run(argv, input=text, capture_output=True, text=True)
    except FileNotFoundError as exc:  # no nft: no table of ours can exist
        raise NftError("nft is not installed (Debian: apt-get install nftables)") from exc
    if proc.returncode != 0:
        raise NftError(f"nftables refused the ruleset: {_first(proc.stderr)}")


_LIB: list[Any] = []  # [the loaded library, or None when there is none]
_FDS = _thread.allocate_lock()  # which socket is a new context's (threads: the API service)


def _library() -> Any:
    """libnftables (Debian: libnftables1, a dependency of nftables), loaded once; None
    without it (then `nft` processes, or the clear error that nft is missing).
    SCOPEBOX_NFT_PROCESS=1 forces the processes (tests compare both)."""
    if not _LIB:
        import ctypes

        lib: Any = None
        if os.environ.get("SCOPEBOX_NFT_PROCESS") != "1":
            try:
                lib = ctypes.CDLL("libnftables.so.1")
            except OSError:
                lib = None
        if lib is not None:
            lib.nft_ctx_new.restype = ctypes.c_void_p
            lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
            for name in ("nft_ctx_free", "nft_ctx_buffer_output", "nft_ctx_buffer_error"):
                getattr(lib, name).argtypes = [ctypes.c_void_p]
            lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
            lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
        _LIB.append(lib)
    return _LIB[0]


def _netlink_fds() -> set[int]:
    """This process' netfilter netlink sockets (libnftables says not which one is its own)."""
    import socket

    out = set()
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                continue
            s = socket.socket(fileno=fd)
        except OSError:
            continue
        try:
            if s.family == socket.AF_NETLINK and s.proto == NETLINK_NETFILTER:
                out.add(fd)
        finally:
            s.detach()
    return out


NETLINK_NETFILTER = 12
