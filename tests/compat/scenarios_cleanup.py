"""The verbs scripts clean up with (container prune, system prune, untag), and container
clone, against Podman 4.3.
Only what a scenario makes itself may go: prunes here are filtered by the scenario's own label
(the shared containers `done` and `fresh` are stopped ones). `system reset` removes a whole
store: tests/host/test_cleanup_verbs_host.py checks it on a store of its own."""

from __future__ import annotations

from tests.compat.scenarios import Case

_MINE = ("create --name {u} --label a={u} busybox true",)

CLEANUP = [
    # container prune: the removed ids (compared as text they differ: the exit and stderr)
    Case("container prune -f --filter label=a={u}", "rc err", setup=_MINE),
    Case("container prune --force --filter label=a={u} --filter until=1h", "rc out err",
         setup=_MINE),  # made just now: not before an hour ago, nothing goes
    Case("container prune -f --filter bogus=1"),
    Case("container prune -f --filter until=abc"),
    Case("container prune -f --filter label"),
    Case("container exists {u}", setup=(*_MINE, "container prune -f --filter label=a={u}")),
    # system prune: Podman's report, sections only for what went
    Case("system prune -f --filter label=a={u}", "rc err", setup=_MINE),
    Case("system prune -f --filter label=a=nothing-{u}", "rc out err"),
    Case("system prune -f --filter bogus=1"),
    Case("container exists {u}", setup=(*_MINE, "system prune -f --filter label=a={u}")),
    # untag: names go, the image stays (untag IMAGE alone takes every name: that of the shared
    # busybox too; tests/host/test_cleanup_verbs_host.py checks it)
    Case("untag localhost/{u}:v1 localhost/{u}:v1", setup=("tag busybox localhost/{u}:v1",)),
    Case("image untag busybox localhost/{u}:v1",
         setup=("tag busybox localhost/{u}:v1",)),
    Case("image exists localhost/{u}:v1",
         setup=("tag busybox localhost/{u}:v1", "untag busybox {u}:v1")),
    Case("untag busybox localhost/{u}:nosuch", "rc out err"),
    Case("untag nosuch{u}"),
    Case("untag", "rc"),
]

# container clone: a copy under NAME-b (the harness removes it), its limits and labels
_ORIG = ("create --name {u} -m 64m --label k=v busybox sleep 100",)
CLEANUP += [
    Case("container clone {u} {u}-b", "rc err", setup=_ORIG),
    Case("inspect --format '{{.HostConfig.Memory}} {{.Config.Labels}} {{.ImageName}}' {u}-b",
         setup=(*_ORIG, "container clone --memory 128m {u} {u}-b")),
    Case("container exists {u}", setup=(*_ORIG, "container clone --destroy {u} {u}-b")),
    Case("container clone -f {u} {u}-b", setup=_ORIG),
    Case("container clone nosuch{u}"),
]
