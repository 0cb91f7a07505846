"""Scenarios of terminals (helper "tty"): `-t` as a script sees it with no terminal around
(the harness's stdin is /dev/null, its stdout a pipe): the container's pty, TERM, exit codes,
`start -a`, inspect's Tty, logs, attach's refusals."""

from __future__ import annotations

from tests.compat.scenarios import Case

TERMINAL = [
    Case("run --rm -t busybox tty"),
    Case("run --rm -t busybox sh -c 'echo $TERM; exit 3'"),
    Case("run --rm -t -e TERM=vt100 busybox sh -c 'echo $TERM'"),
    Case("run --rm -t busybox sh -c 'test -t 0 && test -t 1 && test -t 2 && echo all-tty'"),
    Case("run --rm -t busybox sh -c 'echo out; echo err >&2'"),  # one stream: the terminal
    Case("run --rm -t busybox nosuchcmd", "rc"),
    Case("run --rm -ti busybox sh -c 'echo piped; exit 4'", "rc out"),
    Case("run --rm -i busybox sh -c 'test -t 0 || echo not-a-tty'"),
    Case("inspect -f '{{.Config.Tty}} {{.Config.OpenStdin}}' {u}",
         setup=("create -t --name {u} busybox true",)),
    Case("inspect -f '{{.Config.Tty}}' {u}", setup=("create --name {u} busybox true",)),
    Case("start -a {u}", setup=("create -t --name {u} busybox sh -c 'tty; exit 5'",)),
    Case("logs {u}", setup=("run -t --name {u} busybox sh -c 'echo a; echo b'",)),
    Case("attach {u}", "rc err", setup=("run -t --name {u} busybox true",)),
    Case("run --rm -t --detach-keys=ctrl-zz busybox true", "rc err", diff="tty-bad-detach-keys",
         want=(126, "invalid detach keys: Unknown character: 'ctrl-zz'")),
    Case("run --rm --sig-proxy=false busybox echo ok"),
    # exec -t and -d (helper tty2): a pty held without any terminal around, session ids
    Case("exec -d web true"),
    Case("exec -d web nosuchcmd", "rc"),
    Case("exec -d -t web true"),
    Case("exec -dt web nosuchcmd", "rc"),
    Case("exec -t web nosuchcmd", "rc"),
    Case("exec -t web /etc", "rc"),
    Case("exec -t web sh -c 'echo $TERM; stty size; kill -9 $$'", "rc out"),
    Case("exec -t --detach-keys=bogus web true", "rc err", diff="tty-bad-detach-keys",
         want=(125, "invalid detach keys: Unknown character: 'bogus'")),
    # run -a/--attach: the output streams not named go nowhere; stdin follows -i
    *[Case(f"run --rm {a} busybox sh -c 'echo out; echo err >&2; exit 3'", "rc out")
      for a in ("-a stdout", "-a stderr", "-a stdout -a stderr", "-a STDOUT",
                "--attach stdout,stderr", "-a stdin -a stdout", "-t -a stdout")],
    Case("run --rm -a stdin busybox sh -c 'echo out; exit 3'", "rc out"),
    Case("run --rm -i -a stdout busybox cat"),
    Case("run --rm -d -a stdout busybox true", "rc out"),
    Case("run --rm -a bogus busybox true"),
    Case("run --rm -a '' busybox true"),
    Case("create --name {u} -a stdout busybox true", "rc"),
    Case("create --name {u} -a bogus busybox true"),  # create does not check -a
    Case("create --name {u} -a '' busybox true"),
    # tmpfs mounts allow exec by default (Podman 4.3's, not its man page's noexec)
    *[Case(f"run --rm {m} busybox sh -c 'grep \" /tt \" /proc/mounts; cp /bin/busybox /tt/b "
           "&& /tt/b true; echo $?'") for m in ("--tmpfs /tt", "--mount type=tmpfs,dst=/tt",
                                                "--tmpfs /tt:noexec")],
    # -v SRC:DST:O, Podman's overlay mounts (supervisor/volumes/overlay.py)
    Case("run --rm -v /usr/share/common-licenses:/s:O busybox sh -c 'ls /s/GPL-3 && touch "
         "/s/GPL-3 && grep -c \" /s overlay \" /proc/mounts'"),
    Case("run --rm -v /usr/share/common-licenses:/s:O,ro busybox true"),
    Case("run --rm -v {u}:/s:O busybox ls /s"),
    # --mount type=image (supervisor/volumes/overlay.py)
    Case("run --rm --mount type=image,src=busybox,dst=/img busybox sh -c 'ls /img/bin/sh; "
         "touch /img/x'"),
    Case("run --rm --mount type=image,src=busybox,dst=/img,rw=true busybox sh -c "
         "'touch /img/x && ls /img/x'"),
    Case("run --rm --mount type=image,src=nosuchimage,dst=/img busybox true", "rc err"),
    Case("run --rm --mount type=image,src=busybox,dst=/img,readonly=false busybox true"),
    Case("run --rm --mount type=image,dst=/img busybox true"),
]
