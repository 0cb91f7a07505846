"""Names that resolve on a user network: a DNS responder per network with containers on it.

- `message`: DNS wire format and the answering rules (sans-IO, pure).
- `records`: the store as the responder sees it (leases, names, aliases), read per query.
- `server`: the responder (anyio), on sockets it is handed (systemd's or ours).
- `lifecycle`: `ensure` (a container joins) and `release` (a container left) -- stdlib only.

The engine API for the network resource is `ensure(paths, network)` and
`release(paths, network)`; `set_aliases(store, network, cid, aliases)` records
`--network-alias`. See docs/ARCHITECTURE.md, "DNS".
"""

from __future__ import annotations

from supervisor.network.dns.lifecycle import DNSError, ensure, release

__all__ = ["DNSError", "ensure", "release"]
