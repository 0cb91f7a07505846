"""The Containerfile parser and the builder's word expansion (pure: no kernel, no store)."""

from __future__ import annotations

import pytest

from supervisor.build import ignore
from supervisor.build.parser import (
    BuildFileError,
    arg_decl,
    command,
    expand,
    expand_words,
    key_values,
    parse,
)


def test_stages_steps_and_global_args() -> None:
    f = parse("ARG BASE=busybox\nFROM $BASE AS Build\nRUN make\nFROM scratch\n"
              "COPY --from=build /a /a\n")
    assert [a.args for a in f.global_args] == ["BASE=busybox"]
    assert [(s.base, s.name) for s in f.stages] == [("$BASE", "build"), ("scratch", "")]
    assert [i.cmd for i in f.stages[0].steps] == ["RUN"]
    copy = f.stages[1].steps[0]
    assert copy.flag("from") == "build" and copy.args == "/a /a"
    assert copy.original == "COPY --from=build /a /a"
    assert f.stage_named("BUILD") is f.stages[0]


def test_continuations_comments_and_blank_lines() -> None:
    text = "FROM busybox\nRUN echo a \\\n# a comment inside\n\n    && echo b\n# trailing\n"
    step = parse(text).stages[0].steps[0]
    assert step.args == "echo a     && echo b"
    assert step.line == 2


def test_escape_directive_changes_the_continuation_character() -> None:
    f = parse("# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo x\n")
    assert f.escape == "`"
    assert f.stages[0].steps[0].args == "dir c:\\   && echo x"


def test_directives_only_at_the_top() -> None:
    f = parse("# syntax=docker/dockerfile:1\n# escape=\\\nFROM busybox\n")
    assert f.syntax == "docker/dockerfile:1"
    late = parse("FROM busybox\n# escape=`\nRUN a `\n")
    assert late.escape == "\\"  # a comment there, not a directive
    assert late.stages[0].steps[0].args == "a `"
    with pytest.raises(BuildFileError, match="invalid ESCAPE"):
        parse("# escape=x\nFROM busybox\n")


def test_json_and_shell_forms() -> None:
    steps = parse('FROM b\nCMD ["a", "b c"]\nCMD [not json\nRUN ["x", 1]\n').stages[0].steps
    assert steps[0].json_args == ("a", "b c")
    assert steps[1].json_args is None  # not JSON: the shell form, as Docker reads it
    assert steps[2].json_args is None  # not all strings
    assert command(steps[0], ["/bin/sh", "-c"]) == ["a", "b c"]
    assert command(steps[1], ["/bin/bash", "-c"]) == ["/bin/bash", "-c", "[not json"]


def test_bad_files_are_one_line_errors() -> None:
    with pytest.raises(BuildFileError, match="no FROM statement found"):
        parse("RUN true\n")
    with pytest.raises(BuildFileError, match="no FROM statement found"):
        parse("# only a comment\n")
    with pytest.raises(BuildFileError, match='Unknown instruction: "BOGUS"'):
        parse("FROM busybox\nBOGUS x\n")
    with pytest.raises(BuildFileError, match="one or three arguments"):
        parse("FROM a b\n")


@pytest.mark.parametrize(
    ("word", "want"),
    [
        ("$A", "1"),
        ("${A}x", "1x"),
        ("${NOPE:-dflt}", "dflt"),
        ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""),
        ("${A:+alt}", "alt"),
        ("${NOPE:+alt}", ""),
        ("${NOPE:-${A}}", "1"),
        ("'$A'", "$A"),
        ('"$A b"', "1 b"),
        ("\\$A", "$A"),
        ("a\\ b", "a b"),
        ("$", "$"),
        ("$1", "$1"),
    ],
)
def test_expand(word: str, want: str) -> None:
    assert expand(word, {"A": "1", "EMPTY": ""}) == want


def test_expand_words_splits_outside_quotes() -> None:
    assert expand_words('a "b c" $X', {"X": "d e"}) == ["a", "b c", "d e"]
    with pytest.raises(BuildFileError, match="double-quote"):
        expand_words('"open', {})
    with pytest.raises(BuildFileError, match="unsupported modifier"):
        expand("${A:?x}", {"A": "1"})


def test_env_and_label_pairs() -> None:
    assert key_values('A=1 B="two words" C=$A', {"A": "x"}, "\\", "ENV") == [
        ("A", "1"), ("B", "two words"), ("C", "x")]  # fmt: skip
    assert key_values("LEGACY value with  spaces", {}, "\\", "ENV") == [
        ("LEGACY", "value with  spaces")]  # fmt: skip
    with pytest.raises(BuildFileError):
        key_values("ONLY", {}, "\\", "ENV")
    with pytest.raises(BuildFileError, match="can't find ="):
        key_values("a=1 b", {}, "\\", "LABEL")


def test_arg_declarations() -> None:
    assert arg_decl("V", {}, "\\") == ("V", None)
    assert arg_decl("V=${X:-2}", {}, "\\") == ("V", "2")
    with pytest.raises(BuildFileError):
        arg_decl("1BAD=x", {}, "\\")


def test_ignore_patterns() -> None:
    rules = ignore.parse("# comment\n*.log\n!keep.log\nbuild/\n**/tmp\n/abs\n")
    assert ignore.excluded(rules, "x.log")
    assert not ignore.excluded(rules, "keep.log")  # the last match wins
    assert not ignore.excluded(rules, "dir/x.log")  # `*` stays in one directory
    assert ignore.excluded(rules, "build")
    assert ignore.excluded(rules, "build/out/a")  # below an excluded directory
    assert ignore.excluded(rules, "a/b/tmp")
    assert ignore.excluded(rules, "tmp")
    assert ignore.excluded(rules, "abs")
    assert not ignore.excluded(rules, "src/main.c")
