"""A flag Podman 4.3 has and scopebox does not accept is refused by name, as Podman's and not
implemented (issue 19); other unknown flags are cobra's 'unknown flag'. The
program is run as users run it: one line on stderr, exit 125, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from supervisor.cli.podman_flags import NOT_IMPLEMENTED


def scopebox(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "supervisor", *argv], capture_output=True,
                          text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})  # fmt: skip


# Podman's flags still refused (docs/COMPAT.md), run as a user types them; the list empties as
# flags are implemented (an empty set is pytest's loud skip, the pure test below still runs).
CASES = [c for c in [
    ("pod create", ("--uidmap", "0:1:1"), "--uidmap"),
    ("pod clone", ("--uidmap", "0:1:1", "x"), "--uidmap"),
] if c[2] in NOT_IMPLEMENTED.get(c[0], ())]  # fmt: skip


@pytest.mark.parametrize(("verb", "args", "flag"), CASES)
def test_podmans_flags_are_named_as_not_implemented(verb: str, args: tuple[str, ...],
                                                    flag: str) -> None:  # fmt: skip
    res = scopebox(*verb.split(), *args)
    assert (res.returncode, res.stdout) == (125, "")
    assert res.stderr == (f"Error: scopebox {verb}: {flag} is a Podman 4.3 flag that scopebox"
                          " does not implement yet (docs/COMPAT.md lists them)\n")


def test_the_refusal_names_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism, whatever the generated table holds today."""
    from supervisor.cli import podman_flags
    from supervisor.cli.main import new_parser
    from supervisor.errors import UsageError

    monkeypatch.setattr(podman_flags, "NOT_IMPLEMENTED", {"frob": ("--wibble",)})
    p = new_parser("frob", "a verb")
    p.add_argument("thing")
    with pytest.raises(UsageError) as caught:
        p.parse_args(["--wibble=3", "x"])
    assert str(caught.value) == ("scopebox frob: --wibble is a Podman 4.3 flag that scopebox"
                                 " does not implement yet (docs/COMPAT.md lists them)")
    assert caught.value.exit_code == 125


def test_other_flags_stay_unrecognized() -> None:
    res = scopebox("run", "--no-such-flag", "busybox", "true")
    assert res.returncode == 125
    assert res.stderr == ("Error: unknown flag: --no-such-flag\n"
                          "See 'scopebox run --help'\n")


def test_no_flag_is_both_accepted_and_listed() -> None:
    """The table is generated from both programs' --help: a flag implemented later must leave
    it (run tools/compat_table.py), or its error would lie."""
    for verb in ("run", "ps", "rm", "pod create"):
        res = scopebox(*verb.split(), "--help")
        for flag in NOT_IMPLEMENTED.get(verb, ()):
            assert f" {flag} " not in res.stdout and f" {flag}\n" not in res.stdout, (verb, flag)


def test_optional_valued_booleans_take_no_separate_word() -> None:
    """`run --tls-verify busybox true`: Go's flag takes a value only after `=`."""
    from supervisor.cli.argparser import Parser
    from supervisor.cli.common import add_create_flags

    p = Parser(prog="scopebox run", add_help=False)
    add_create_flags(p)
    ns = p.parse_args(["--tls-verify", "busybox", "true"])
    assert (ns.tls_verify, ns.image) == (True, "busybox")
    assert p.parse_args(["--tls-verify=false", "busybox"]).tls_verify is False
    ns = p.parse_args(["--tls-verify", "busybox", "sh", "--tls-verify"])
    assert ns.command == ["sh", "--tls-verify"]
