"""secrets (supervisor/secrets): `secret create/ls/inspect/rm` and run/create's `--secret`
against Podman 4.3: what a script reads (ids, JSON keys, templates, exit codes, words), what
the container sees (the file, its owner and mode, the variable), and the lifetimes (a copy
per container for mount-type secrets, env-type ones read at start)."""

from __future__ import annotations

from tests.compat.scenarios import Case

_FILE = "tests/compat/secret.txt"
_MK = f"secret create {{u}} {_FILE}"
_STAT = "stat -c '%n %a %u %g %s'"

SECRETS = [
    # create: the id, Podman's refusals
    Case(_MK),
    Case(_MK, setup=(_MK,)),
    Case("secret create --env {u} HOME"),
    Case("secret create --env nosuchsecret SCOPEBOX_NO_SUCH_VARIABLE"),
    Case(f"secret create 'bad name' {_FILE}"),
    Case(f"secret create {'a' * 65} {_FILE}"),
    # (refused before anything is made: a fixed name, no clean-up round)
    Case("secret create nosuchsecret /nonexistent"),
    Case("secret create nosuchsecret tests"),  # a directory: no data
    Case("secret create nosuchsecret"),
    Case(f"secret create nosuchsecret {_FILE} more"),
    Case(f"secret create --driver nope nosuchsecret {_FILE}"),
    Case(f"secret create --driver-opts foo=bar {{u}} {_FILE}"),
    # inspect: Podman's keys, templates, misses
    Case("secret inspect {u}", "keys", setup=(_MK,)),
    Case("secret inspect --format '{{.Spec.Name}} {{.Spec.Driver.Name}} {{.Spec.Labels}}' {u}",
         setup=(f"secret create -l a=b --label c {{u}} {_FILE}",)),
    Case("secret inspect nosuch {u}", "rc err", setup=(_MK,)),
    Case("secret inspect nosuch"),
    Case("secret inspect", "rc err"),
    # ls: table, quiet, templates, filters (regular expressions)
    Case("secret ls --filter name=^{u}$", setup=(_MK,)),
    Case("secret ls --noheading --filter name=^{u}$", setup=(_MK,)),
    Case("secret ls -q --filter name={u}", setup=(_MK,)),
    Case("secret ls --format '{{.Name}} {{.Driver}}' --filter name=^{u}", setup=(_MK,)),
    Case("secret ls --filter id=nomatch"),
    Case("secret ls --filter foo=bar"),  # none to filter: Podman does not check the key
    Case("secret ls --filter foo=bar", setup=(_MK,)),
    Case("secret ls --filter name"),
    # rm: the id, misses, --all's rule
    Case("secret rm {u}", setup=(_MK,)),
    Case("secret rm nosuch"),
    Case("secret rm nosuch {u}", setup=(_MK,)),
    Case("secret rm", "rc"),
    Case("secret rm -a {u}", "rc", setup=(_MK,)),
    # run --secret: the file, its place, owner and mode; the variable
    Case(f"run --rm --secret {{u}} busybox sh -c \"{_STAT} /run/secrets/{{u}};"
         " cat /run/secrets/{u}; ls /run/secrets\"", setup=(_MK,)),
    Case(f"run --rm --secret {{u}},target=/etc/foo busybox sh -c \"{_STAT} /etc/foo;"
         " ls /run/secrets\"", setup=(_MK,)),
    Case(f"run --rm --secret source={{u}},target=foo,uid=1000,gid=100,mode=0400 busybox"
         f" {_STAT} /run/secrets/foo", setup=(_MK,)),
    Case("run --rm --secret {u},type=env --secret {u},type=env,target=FOO busybox sh -c"
         " 'echo \"[$FOO] [${u}]\"'", setup=(_MK,)),
    *[Case(f"run --rm --secret nosuch{opts} busybox true", "rc err")  # parsed first
      for opts in (",type=bogus", ",type=env,uid=1", ",type=env,mode=0400", ",uid=abc",
                   ",gid=-1", ",mode=abc", ",mode=999", ",bogus=1")],
    Case("run --rm --secret nosuch busybox true"),
    # inspect: the mount-type ones (Podman lists no env-type secret)
    Case("inspect --format '{{json .Config.Secrets}}' {u}",
         setup=(_MK, "create --name {u} --secret {u},mode=0400,uid=7 --secret {u},type=env"
                     " busybox true")),
    # lifetimes: a mount-type secret is the container's own copy; an env-type one is read
    # at start, so its removal breaks the next start (Podman's words)
    Case("start -a {u}", setup=(_MK, "create --name {u} --secret {u} busybox cat"
                                     " /run/secrets/{u}", "secret rm {u}")),
    Case("start -a {u}", "rc err", setup=(_MK, "create --name {u} --secret {u},type=env"
                                               " busybox true", "secret rm {u}")),
    # intended differences (docs/DIFFERENCES.md)
    Case(f"secret create --driver shell {{u}} {_FILE}", diff="secret-drivers",
         want=(125, "secret driver shell: scopebox has only the file driver")),
    Case("secret ls --format json --filter name=^{u}$", setup=(_MK,), diff="secret-ls-json",
         want=(0, '"Name": "{u}"')),
    Case("secret ls -q --filter name=^{u}$ --filter id=^nomatch", setup=(_MK,),
         diff="secret-filters", want=(0, "=")),
    Case("secret exists {u}", setup=(_MK,), diff="secret-exists", want=(0, "=")),
    Case("secret exists {u}", diff="secret-exists", want=(1, "=")),
]
