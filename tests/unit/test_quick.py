"""performance (issue 16): the read verbs' argparse-free parsing (supervisor.cli.quick) gives
what their argparse parsers give, or nothing (and the parser decides)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supervisor.cli.quick import APPEND, BOOL, VALUE, parse
from supervisor.errors import UsageError

VERBS = ("ps", "inspect", "images", "logs", "version", "exec_", "attach", "kill", "wait")


def _verb(name: str) -> ModuleType:
    return importlib.import_module(f"supervisor.cli.{name}")


def _argparse(module: ModuleType, argv: list[str]) -> dict[str, object] | None:
    try:
        return vars(module.parser().parse_args(argv))
    except (UsageError, SystemExit):
        return None


@pytest.mark.parametrize("name", VERBS)
def test_declared_flags_are_the_parsers(name: str) -> None:
    """Every quick flag is the parser's, with the same destination and kind; the defaults are
    the parser's for every destination."""
    module = _verb(name)
    p = module.parser()
    required = [a.dest for a in p._actions if not a.option_strings and a.nargs is None]
    defaults = _argparse(module, required)  # attach: a container is required
    assert module.QUICK.defaults == {**(defaults or {}), **dict.fromkeys(required)}
    kinds = {"_StoreTrueAction": BOOL, "_StoreAction": VALUE, "_AppendAction": APPEND}
    for flag, (dest, kind) in module.QUICK.flags.items():
        action = p._option_string_actions[flag]
        assert (action.dest, kinds[type(action).__name__]) == (dest, kind), flag
        assert action.type is None and action.choices is None, flag
    positional = [(a.dest, a.nargs) for a in p._actions if not a.option_strings]
    remainder = [(module.QUICK.remainder, "...")] if module.QUICK.remainder else []
    assert positional == ([module.QUICK.positional] if module.QUICK.positional else []) + remainder


def _words(name: str) -> st.SearchStrategy[list[str]]:
    p = _verb(name).parser()
    flags = sorted(p._option_string_actions)
    tokens = st.sampled_from([*flags, *(f"{f}=x" for f in flags if f.startswith("--"))])
    others = st.sampled_from(["x", "json", "-", "--", "-aq", "-it", "-ti", "-itd", "-iw", "-1",
                              "", "a=b", "{{.ID}}"])
    return st.lists(st.one_of(tokens, others), max_size=6)


@pytest.mark.parametrize("name", VERBS)
def test_quick_agrees_with_argparse(name: str) -> None:
    module = _verb(name)

    @settings(max_examples=120, deadline=None)
    @given(_words(name))
    def check(argv: list[str]) -> None:
        quick = parse(argv, module.QUICK)
        if quick is not None:
            assert vars(quick) == _argparse(module, argv), argv

    check()


def test_common_lines_take_the_quick_path() -> None:
    """The command lines of scripts and watch loops need no argparse."""
    for name, argv in [
        ("ps", []), ("ps", ["-a", "--format", "json"]), ("ps", ["-a", "-q"]),
        ("inspect", ["web"]), ("inspect", ["--format", "{{.State.Status}}", "web", "db"]),
        ("images", []), ("logs", ["--tail", "1", "web"]), ("version", []),
        ("exec_", ["web", "true"]), ("exec_", ["-it", "web", "sh", "-c", "x"]),
        ("exec_", ["-e", "A=1", "-u", "0", "web", "ls", "-l", "--", "/"]),
        ("attach", ["web"]), ("attach", ["--no-stdin", "web"]), ("ps", ["-aq"]),
        ("wait", ["web"]), ("wait", ["web", "db"]),
    ]:  # fmt: skip
        quick = parse(argv, _verb(name).QUICK)
        assert quick is not None and vars(quick) == _argparse(_verb(name), argv), (name, argv)


def test_exec_leaves_a_leading_double_dash_to_argparse() -> None:
    """argparse drops the `--` right after exec's container (`exec web -- ls`), and only that
    one: the quick path gives such lines to the parser."""
    module = _verb("exec_")
    assert parse(["web", "--", "ls"], module.QUICK) is None
    assert _argparse(module, ["web", "--", "ls"]) == {**module.QUICK.defaults,
                                                      "container": "web", "command": ["ls"]}


@pytest.mark.parametrize("argv", [
    [], ["--time", "5"], ["-t", "0", "unix:///run/x.sock"], ["--time=7"], ["--cors", "*"],
    ["--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "a", "tcp://h:1"],
    ["unix:///x", "--time", "3"], ["--log-level=debug", "--cors=*", "-t", "1"],
])  # fmt: skip
def test_system_service_quick_is_its_parser(argv: list[str]) -> None:
    """`system service` (its --time is an int, converted by the verb): the service's usual
    command lines parsed without argparse give the parser's namespace."""
    module = _verb("system_service")
    quick = parse(argv, module.QUICK)
    assert quick is not None
    quick.time = int(quick.time)
    assert vars(quick) == _argparse(module, argv)
