"""`cp`, `diff`, `mount`/`umount` and `commit`: moving files in and out of containers.

Every path inside a container is resolved by a forked child that has `chroot`ed into the
container's root (`stream.py`), never by this process on the host: a symlink or `..` in the
container can only ever lead to another place in the container (CVE-2018-15664,
CVE-2019-10152 came from resolving such paths on the host).
"""
