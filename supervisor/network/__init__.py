"""Networks without a daemon: definitions, leases and port claims in the store (`db`), a pure
IPAM (`ipam`), Podman's JSON shape (`definition`), and the kernel state: a pure nftables
renderer (`nft`) and iproute2 batches (`netlink`), rebuilt from the store by `reload`.

`nft` and `netlink` use the standard library only (subprocess to `nft` and `ip`), so a
container's teardown can run from the monitor's exit command under `python3 -I -S`.
"""
