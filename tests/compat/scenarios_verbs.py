"""verbs: Podman 4.3's verbs scopebox lacked (`init`, ...), beside the real podman: output,
status words, exit codes and the state each leaves behind."""

from __future__ import annotations

from tests.compat.scenarios import Case

_MADE = ("create --name {u} busybox sleep 100",)
_INITED = (*_MADE, "init {u}")

INIT = [
    Case("init {u}", setup=_MADE),
    Case("container init {u}", setup=_MADE),
    Case("init {u}", setup=("run --name {u} busybox true",)),  # an exited one again
    Case("init", "rc err"),
    Case("init nosuch", "rc err"),
    Case("init -a -l", "rc err"),
    # Podman's words for the state: ps -a shows it, ps (running ones) does not
    Case("ps -a --filter name={u} --format '{{.Status}}'", setup=_INITED),
    Case("ps --filter name={u} --format '{{.Names}}'", setup=_INITED),
    Case("ps -a --filter status=initialized --filter name={u} --format '{{.Names}}'",
         setup=_INITED),
    Case("inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' {u}",
         "rc", setup=_INITED),
    Case("inspect --format '{{.State.Status}} {{.State.Running}}' {u}", setup=_INITED),
    # once in the runtime, no second init; start starts the process the runtime made
    Case("init {u}", setup=_INITED),
    Case("start {u}", setup=_INITED),
    Case("exec {u} echo started", setup=(*_INITED, "start {u}")),
    Case("init {u}", setup=(*_INITED, "start {u}")),
    Case("inspect --format '{{.State.Status}}' {u}", setup=(*_INITED, "start {u}")),
    # stop, kill and rm of an initialized container
    Case("stop -t 1 {u}", setup=_INITED),
    Case("inspect --format '{{.State.Status}}' {u}", setup=(*_INITED, "stop -t 1 {u}")),
    Case("kill {u}", "rc", setup=_INITED),
    Case("rm {u}", setup=_INITED),
    Case("pause {u}", "rc", setup=_INITED),
]

VERBS = [*INIT]
