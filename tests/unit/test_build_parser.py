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


def _apply(lines: str, cfg: dict[str, object] | None = None) -> tuple[dict[str, object], object]:
    from supervisor.build.instructions import StageState, apply_config

    state = StageState({"config": cfg or {}}, [])
    conf = state.config["config"]
    for ins in parse("FROM x\n" + lines).stages[0].steps:
        env = {**state.args, **{e.split("=", 1)[0]: e.split("=", 1)[1]
                               for e in conf.get("Env") or []}}  # fmt: skip
        apply_config(ins, conf, state, env, "\\", {"B": "fromflag"}, {"G": "global"})
    return conf, state


def test_config_instructions() -> None:
    conf, state = _apply(
        "ARG B=default\nARG G\nENV P=/x Q=$B\nWORKDIR /a\nWORKDIR b/$G\nUSER 1:2\n"
        "EXPOSE 80 53/udp\nVOLUME [\"/v\"]\nSTOPSIGNAL SIGINT\nSHELL [\"/bin/bash\", \"-c\"]\n"
        "CMD echo hi\nLABEL a=1\nONBUILD RUN make\n"
        "HEALTHCHECK --interval=5s --retries=3 CMD [\"true\"]\n")
    assert state.args == {"B": "fromflag", "G": "global"}  # type: ignore[attr-defined]
    assert conf["Env"] == ["P=/x", "Q=fromflag"]
    assert conf["WorkingDir"] == "/a/b/global" and conf["User"] == "1:2"
    assert conf["ExposedPorts"] == {"80/tcp": {}, "53/udp": {}}
    assert conf["Volumes"] == {"/v": {}} and conf["StopSignal"] == "SIGINT"
    assert conf["Cmd"] == ["/bin/bash", "-c", "echo hi"]  # SHELL applies to later forms
    assert conf["Labels"] == {"a": "1"} and conf["OnBuild"] == ["RUN make"]
    assert conf["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 5_000_000_000,
                                   "Retries": 3}  # fmt: skip


def test_entrypoint_drops_an_inherited_cmd_only() -> None:
    conf, _ = _apply('ENTRYPOINT ["/e"]\n', {"Cmd": ["sh"]})
    assert conf["Entrypoint"] == ["/e"] and "Cmd" not in conf
    conf, _ = _apply('CMD ["c"]\nENTRYPOINT ["/e"]\n', {"Cmd": ["sh"]})
    assert conf["Cmd"] == ["c"]


def test_bad_config_instructions() -> None:
    for bad in ("SHELL /bin/sh -c\n", "ONBUILD FROM x\n", "HEALTHCHECK --bogus=1 CMD true\n",
                "HEALTHCHECK --interval=soon CMD true\n", "USER\n"):
        with pytest.raises(BuildFileError):
            _apply(bad)


def test_ignore_reaches_into_excluded_dirs_only_by_name() -> None:
    """moby's patternmatcher (buildah's, Podman's bats "COPY with ignore"): an excluded
    directory is walked only when a `!` line names a path inside it literally."""
    rules = ignore.parse("test*\n!test2*\nsubdir1\nsubdir2\n!*/sub1*\n!subdir1/sub3*\n")
    assert ignore.may_reinclude(rules, "subdir1")
    assert not ignore.may_reinclude(rules, "subdir2")  # `!*/sub1*` does not open it
    assert not ignore.excluded(rules, "subdir1/sub1.txt")
    assert ignore.excluded(rules, "subdir1/sub2")
    assert not ignore.excluded(rules, "test2.txt") and ignore.excluded(rules, "test1")
