"""Networks without a daemon: definitions, leases and port claims in the store (`db`), a pure
IPAM (`ipam`), Podman's JSON shape (`definition`), and the kernel state: a pure nftables
renderer applied through libnftables (`nft`), rtnetlink in-process for a container's
namespace and veths (`rtnl`) and iproute2 for bridges (`netlink`), rebuilt from the store by
`reload`.

`nft`, `rtnl` and `netlink` use the standard library only (ctypes, socket, subprocess to `nft`
and `ip`), so a container's teardown can run from the monitor's exit command under
`python3 -I -S`.
"""
