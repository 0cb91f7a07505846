"""units.unitfile: the writer's escaping read back with systemd's rules (the reader mirrors
extract_first_word; tests/system/test_unitfile_systemd.py checks the same against systemd)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from units import unitfile
from units.unitfile import UnitSyntaxError

# Arguments a hostile user might pass: anything but NUL and lone surrogates (argv cannot hold
# them), with the characters systemd gives a meaning over-represented.
SPECIAL = st.sampled_from(
    ["%", "%n", "$", "$HOME", "${X}", ";", "\\", "\\;", '"', "'", " ", "\t", "\n", "\r", "é", "☃"]
)
CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\0")
WORD = st.lists(st.one_of(SPECIAL, st.text(CHARS, max_size=4)), max_size=6).map("".join)
ARGV = st.lists(WORD, max_size=6).map(lambda rest: ["/usr/bin/env", *rest])


@given(ARGV)
@example(["/bin/echo", ""])
@example(["/bin/echo", ";", "rm", "-rf", "/"])
@example(["/bin/echo", "a\nExecStartPre=/bin/false"])
@example(["/bin/echo", "%n", "$HOME", "${HOME}", "$$", "%%"])
@example(["/bin/echo", "trailing\\"])
def test_exec_value_reads_back_as_the_same_argv(argv: list[str]) -> None:
    value = unitfile.exec_value(argv)
    assert "\n" not in value and "\r" not in value
    assert unitfile.read_exec_value(value) == argv


@given(ARGV, st.booleans())
def test_an_exec_line_stays_one_entry_in_a_parsed_file(argv: list[str], wrap: bool) -> None:
    unit = unitfile.UnitFile()
    unit.ensure("Service").add("ExecStart", unitfile.exec_value(argv, wrap=wrap))
    unit.ensure("Service").add("Type", "oneshot")
    parsed = unitfile.parse(unit.render())
    entries = [(e.key, e.line) for s in parsed.sections for e in s.entries]
    assert [k for k, _ in entries] == ["ExecStart", "Type"] and entries[0][1] == 2
    assert unitfile.read_exec_value(parsed.sections[0].entries[0].value) == argv


@given(st.lists(WORD, max_size=5))
def test_words_value_round_trip(words: list[str]) -> None:
    read = unitfile.split_words(unitfile.words_value(words))
    assert [unitfile.unescape_specifiers(w) for w in read] == words


def test_quoting_is_minimal_for_plain_words() -> None:
    assert unitfile.exec_value(["/usr/bin/scopebox", "run", "--name=web", "busybox"]) == (
        "/usr/bin/scopebox run --name=web busybox"
    )
    assert unitfile.quote_word("100%") == "100%%"
    assert unitfile.quote_word("a b") == '"a b"'
    assert unitfile.quote_word("") == '""'
    assert unitfile.quote_word(";") == '";"'
    assert unitfile.quote_word("$HOME") == '"$$HOME"'
    assert unitfile.quote_word("x\ny") == '"x\\ny"'


@pytest.mark.parametrize(
    "argv, prefix, message",
    [
        ([], "", "at least the program"),
        (["scopebox"], "", "absolute path"),
        (["/bin/echo", "a\0b"], "", "NUL"),
        (["/bin/echo", "\udcff"], "", "UTF-8"),
        (["/bin/echo"], "x", "prefix"),
    ],
)
def test_exec_value_refuses(argv: list[str], prefix: str, message: str) -> None:
    with pytest.raises(UnitSyntaxError, match=message):
        unitfile.exec_value(argv, prefix)


@pytest.mark.parametrize("text", ["a\nb", "a\rb", " lead", "trail ", "cont\\", "nul\0"])
def test_plain_value_refuses_what_systemd_would_change(text: str) -> None:
    with pytest.raises(UnitSyntaxError):
        unitfile.plain_value(text)


def test_plain_value_escapes_specifiers() -> None:
    assert unitfile.plain_value("web %n 100%") == "web %%n 100%%"


def test_parse_follows_systemd_rules() -> None:
    text = (
        "# comment\n"
        "[Container]\n"
        "Image = busybox \n"
        "; another comment\n"
        "Exec=sh -c \\\n"
        "# skipped inside a continuation\n"
        "  'echo hi'\n"
        "\n"
        "[Service]\n"
        "Restart=always\n"
    )
    unit = unitfile.parse(text)
    assert [s.name for s in unit.sections] == ["Container", "Service"]
    c = unit.sections[0]
    assert [(e.key, e.value, e.line) for e in c.entries] == [
        ("Image", "busybox", 3),
        ("Exec", "sh -c    'echo hi'", 5),
    ]
    assert unitfile.split_words(c.entries[1].value) == ["sh", "-c", "echo hi"]
    assert unit.sections[1].entries[0].line == 10


def test_an_escaped_trailing_backslash_does_not_continue() -> None:
    unit = unitfile.parse("[C]\nA=x\\\\\nB=y\\\\\\\nz\n")
    assert [(e.key, e.value, e.line) for e in unit.sections[0].entries] == [
        ("A", "x\\\\", 2),
        ("B", "y\\\\ z", 3),
    ]


@pytest.mark.parametrize(
    "text, line",
    [("Image=x\n", 1), ("[Container]\nImage\n", 2), ("[Container\n", 1), ("[C]\n=x\n", 2)],
)
def test_parse_errors_carry_the_line(text: str, line: int) -> None:
    with pytest.raises(UnitSyntaxError) as info:
        unitfile.parse(text)
    assert info.value.line == line


@pytest.mark.parametrize(
    "value, words",
    [
        ('a "b c" d', ["a", "b c", "d"]),
        ("a'b c'd", ["ab cd"]),
        (r"\x41\101\u00e9\s", ["AAé "]),
        (r'"say \"hi\""', ['say "hi"']),
        ("", []),
        ('""', [""]),
    ],
)
def test_split_words(value: str, words: list[str]) -> None:
    assert unitfile.split_words(value) == words


def test_split_words_strict_and_relaxed() -> None:
    with pytest.raises(UnitSyntaxError, match="escape"):
        unitfile.split_words(r"a\qb")
    assert unitfile.split_words(r"a\qb", relax=True) == [r"a\qb"]
    with pytest.raises(UnitSyntaxError, match="quote"):
        unitfile.split_words('"open')
