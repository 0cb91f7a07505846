"""cgroupfs: a stdlib-only library for cgroup v1, hybrid and v2 hierarchies.

Import the submodules you need; this package imports nothing itself, because the
per-container monitor imports `cgroupfs.events` and must stay lean:

- `cgroupfs.layout`: which hierarchies are mounted where (`detect()`), feature probes.
- `cgroupfs.cgroup`: `Cgroup` (where a cgroup is, its files, its processes: read only; the
  runtime and systemd make and change cgroups, tests use tests/cgroupwrite.py).
- `cgroupfs.events`: inotify/eventfd/pidfd waits (`EmptyWatch`, `open_oom_watch`).
- `cgroupfs.parse`: pure parsers of the kernel's file formats.
- `cgroupfs.blkio`: block I/O limit files (names, formats, the rules `update` writes).
- `cgroupfs.errors`: the exceptions.
"""
