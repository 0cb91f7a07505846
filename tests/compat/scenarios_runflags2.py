"""Scenarios of run/create's --umask, --unsetenv(-all), --env-merge, --label-file, --pidfile,
--conmon-pidfile, -q and --disable-content-trust (issue 19, helper s26-runflags), against
Podman 4.3. The default variable container= differs on purpose (DIFFERENCES.md container-env):
what is compared is PATH, the caller's variables and what the flags leave."""

from __future__ import annotations

from tests.compat.harness import REPO
from tests.compat.scenarios import Case

_RUN = "run --rm"
_ENV = "/bin/sh -c '/bin/env | /bin/sort'"  # HOSTNAME's id is normalised

UMASK = [
    Case(f"{_RUN} busybox sh -c umask"),
    *[Case(f"{_RUN} --umask {v} busybox sh -c umask") for v in ("0077", "77", "7777", "0", "''")],
    Case(f"{_RUN} --umask 027 busybox grep Umask /proc/self/status"),
    *[Case(f"{_RUN} --umask {v} busybox true") for v in ("17777", "abc", "-1", "08", "0o22")],
    Case("create --umask 8 busybox true"),
    *[Case("inspect --format '{{.Config.Umask}}' {u}",
           setup=(f"create --name {{u}} {flags} busybox true",))
      for flags in ("", "--umask 77", "--umask 7777", "--umask ''")],
]

ENV = [
    Case(f"{_RUN} --unsetenv PATH busybox /bin/sh -c 'echo \"[$PATH]\"'"),
    Case(f"{_RUN} --unsetenv container busybox sh -c 'echo \"[$container]\"'"),
    Case(f"{_RUN} --unsetenv NOPE --unsetenv HOME busybox sh -c 'echo $HOME'"),
    Case(f"{_RUN} --unsetenv A -e A=1 busybox sh -c 'echo $A'"),
    Case(f"{_RUN} --unsetenv-all busybox /bin/env"),
    Case(f"{_RUN} --unsetenv-all -e A=1 busybox {_ENV}"),
    Case(f"{_RUN} --unsetenv-all=false busybox sh -c 'echo $PATH'"),
    Case("inspect --format '{{json .Config.Env}}' {u}",
         setup=("create --name {u} --unsetenv-all -e A=1 busybox true",)),  # (Podman: a map)
    Case("inspect --format '{{json .Config.Env}}' {u}",
         setup=("create --name {u} --unsetenv-all busybox true",)),
    # --env-merge: Podman 4.3 rewrites a default variable, the word expanded from the defaults
    Case(f"{_RUN} --env-merge 'PATH=${{PATH}}:/x' busybox sh -c 'echo $PATH'"),
    Case(f"{_RUN} --env-merge 'PATH=${{NOPE:-/d}}:\"$PATH\"' busybox sh -c 'echo $PATH'"),
    Case(f"{_RUN} --env-merge 'PATH=${{PATH:+/alt}}' busybox /bin/sh -c 'echo $PATH'"),
    Case(f"{_RUN} --env-merge \"PATH='$x'\\$y\" busybox /bin/sh -c 'echo \"$PATH\"'"),
    Case(f"{_RUN} --env-merge 'NEW=${{PATH}}' busybox sh -c 'echo \"[$NEW]\"'"),
    Case(f"{_RUN} --env-merge 'PATH=${{PATH}}:/x' -e PATH=/bin busybox sh -c 'echo $PATH'"),
    Case(f"{_RUN} --env-merge 'PATH=${{PATH}}:/x' --unsetenv PATH busybox /bin/sh -c"
         " 'echo \"[$PATH]\"'"),
    # with --env-host the merges see the caller's variables (both engines get the same
    # CONTAINERS_CONF), and the caller's own come back after them (PATH: the caller's)
    Case(f"{_RUN} --env-host --env-merge 'container=${{CONTAINERS_CONF}}' --env-merge"
         " 'PATH=/x' busybox sh -c 'echo $container $PATH'"),
    Case(f"{_RUN} --env-merge 'PATH=${{PATH' busybox true"),
    Case("create --env-merge 'PATH=${PATH:?x}' busybox true"),
    # an image's own variable, merged twice: each merge sees the one before
    Case(f"{_RUN} --env-merge 'FOO=${{FOO}}-m' --env-merge 'PATH=${{PATH}}:${{FOO}}'"
         " localhost/{u}:v1 sh -c 'echo $FOO $PATH'",
         setup=("create --name {u} busybox true",
                "commit -q --change 'ENV FOO=img' {u} localhost/{u}:v1")),
    Case("inspect --format '{{json .Config.Env}}' {u}-b",
         setup=("create --name {u} busybox true",
                "commit -q --change 'ENV FOO=img' {u} localhost/{u}:v1",
                "create --name {u}-b --env-merge FOO=m${FOO} --unsetenv container --unsetenv"
                " PATH --unsetenv TERM localhost/{u}:v1 true")),
    # Podman 4.3 panics (exit 2) for a name it holds, and ignores others
    Case(f"{_RUN} --env-merge PATH busybox true", diff="env-merge-no-equals",
         want=(125, "missing `=` for --env-merge substitution PATH")),
    # Podman 4.3 cuts the value at its next `=` (`a`); later Podman keeps it, as scopebox does
    Case(f"{_RUN} --env-merge 'PATH=/bin:a=b' busybox /bin/sh -c 'echo $PATH'",
         diff="env-merge-value", want=(0, "=/bin:a=b\n")),
]

LABELS = [
    Case("inspect --format '{{json .Config.Labels}}' {u}",
         setup=("create --name {u} --label-file tests/compat/labels.list -l k2=cli"
                " busybox true",)),
    Case("ps -a --filter label=k3=a=b --format '{{.Names}}'",
         setup=("create --name {u} --label-file tests/compat/labels.list busybox true",)),
    Case("create --label-file tests/compat/labels-bad.list busybox true"),
    Case("create --label-file tests/compat/nosuch.list busybox true"),
    Case("create --label-file tests/compat busybox true"),
    Case("run --rm --label-file tests/compat/nosuch.list busybox true"),
]

PIDFILES = [
    Case("inspect --format '{{.PidFile}} {{.ConmonPidFile}}' {u}",
         setup=("create --name {u} --pidfile /tmp/{u}.pid --conmon-pidfile /tmp/{u}.cpid"
                " busybox true",)),
    Case("inspect --format '{{.PidFile}}' {u}",
         setup=("create --name {u} --pidfile rel.pid busybox true",),
         diff="pidfile-relative", want=(0, f"={REPO}/rel.pid\n")),
    Case(f"{_RUN} --pidfile /nonexistent-dir/x busybox true", diff="pidfile-unwritable",
         want=(125, "writing the --pidfile file /nonexistent-dir/x: No such file or directory")),
    Case(f"{_RUN} --conmon-pidfile /nonexistent-dir/y busybox true", diff="pidfile-unwritable",
         want=(125, "writing the --conmon-pidfile file /nonexistent-dir/y: No such file")),
]

QUIET = [
    Case(f"{_RUN} -q busybox echo hi"),
    Case(f"{_RUN} --quiet --disable-content-trust busybox echo hi"),
    Case(f"{_RUN} --disable-content-trust=false busybox echo hi"),
    Case(f"{_RUN} --disable-content-trust=maybe busybox echo hi", "rc"),  # (cobra's 2 lines)
    Case("create -q --disable-content-trust --name {u} busybox true", "rc out err"),
    # a Go boolean with an optional value takes it only after `=`: the image stays the image
    Case(f"{_RUN} --tls-verify busybox echo hi"),
    Case(f"{_RUN} --tls-verify=false busybox echo hi"),
    Case(f"{_RUN} --tls-verify -q busybox echo hi"),
]

RUNFLAGS2 = [*UMASK, *ENV, *LABELS, *PIDFILES, *QUIET]
