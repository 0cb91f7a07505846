# ruff: noqa: E501  (golden strings from Go are kept on one line each)
"""Docker's table formatter and Go's tabwriter.

Expected strings were produced by real Go (1.19): text/tabwriter configured as docker/cli
does (minwidth 10, tabwidth 1, padding 3, padchar ' ', no flags), and docker/cli's
Context.Write flow (preFormat, header executed with HeaderFunctions, a newline after every
row), in a scratch harness outside this repository.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.format import TemplateError, format_inspect
from supervisor.format.table import (
    default_header,
    format_items,
    format_table,
    prepare,
    tabwrite,
    tabwrite_text,
)

ITEMS: list[dict[str, object]] = [
    {
        "ID": "4c01db0b339c",
        "Image": "busybox:latest",
        "Names": "web",
        "Status": "Up 2 minutes",
        "Ports": "",
        "Labels": {"a": "1"},
        "Size": 1234,
        "CreatedAt": "2024-01-01",
    },
    {
        "ID": "d7886598dbe2",
        "Image": "docker.io/library/nginx:1.25-alpine",
        "Names": "proxy-very-long-name",
        "Status": "Exited (0) 3 hours ago",
        "Ports": "0.0.0.0:80->80/tcp",
        "Labels": {},
        "Size": 5,
        "CreatedAt": "2024-01-02",
    },
]

HEADER: dict[str, str] = {
    "ID": "CONTAINER ID",
    "Image": "IMAGE",
    "Names": "NAMES",
    "Status": "STATUS",
    "Ports": "PORTS",
    "Labels": "LABELS",
    "Size": "SIZE",
    "CreatedAt": "CREATED AT",
}

GO_TABWRITER: list[tuple[str, str]] = [
    ("", ""),
    ("\n", "\n"),
    ("a", "a"),
    ("a\n", "a\n"),
    ("\t", ""),
    ("a\tb\tc\n", "a         b         c\n"),
    ("a\tb\t\n", "a         b         \n"),
    ("aaaaaaaaaaaaaaa\tb\nc\td\n", "aaaaaaaaaaaaaaa   b\nc                 d\n"),
    ("a\n\tb\n", "a\n          b\n"),
    (
        "x\ty\tz\nlonger-cell\tq\n\nafter\tblank\n",
        "x             y         z\nlonger-cell   q\n\nafter     blank\n",
    ),
    ("a\tb\nc\n", "a         b\nc\n"),
    ("one\ttwo\nthree\n\tfour\tfive\n", "one       two\nthree\n          four      five\n"),
    ("a\x0bb\nccccccccccccc\x0bd\n", "a               b\nccccccccccccc   d\n"),
    ("a\tb\x0cc\td\n", "a         b\nc         d\n"),
    ("cell\t\t\tend\n", "cell                          end\n"),
    ("trailing text no newline\tx", "trailing text no newline   x"),
    ("\t\t\n\t\t\n", "                    \n                    \n"),
    (
        "aaaaaaaaaaaa\tb\tc\nd\teeeeeeeeeeeeeeeeee\tf\ng\n",
        "aaaaaaaaaaaa   b                    c\nd              eeeeeeeeeeeeeeeeee   f\ng\n",
    ),
]

GO_FORMAT: list[tuple[str, int, str]] = [
    (
        "table {{.ID}}\\t{{.Image}}\\t{{.Status}}\\t{{.Names}}",
        2,
        "CONTAINER ID   IMAGE                                 STATUS                   NAMES\n4c01db0b339c   busybox:latest                        Up 2 minutes             web\nd7886598dbe2   docker.io/library/nginx:1.25-alpine   Exited (0) 3 hours ago   proxy-very-long-name\n",
    ),
    (
        "table {{.ID}}\\t{{.Image}}\\t{{.Status}}\\t{{.Names}}",
        0,
        "CONTAINER ID   IMAGE     STATUS    NAMES\n",
    ),
    (
        "table {{.ID}}\\t{{.Ports}}\\t{{.Names}}",
        2,
        "CONTAINER ID   PORTS                NAMES\n4c01db0b339c                        web\nd7886598dbe2   0.0.0.0:80->80/tcp   proxy-very-long-name\n",
    ),
    ("table {{.ID}}\\t{{.Ports}}\\t{{.Names}}", 0, "CONTAINER ID   PORTS     NAMES\n"),
    (
        "table {{.ID}}\\t{{.Names}}\\t",
        2,
        "CONTAINER ID   NAMES                  \n4c01db0b339c   web                    \nd7886598dbe2   proxy-very-long-name   \n",
    ),
    ("table {{.ID}}\\t{{.Names}}\\t", 0, "CONTAINER ID   NAMES     \n"),
    ("table {{.Names}}", 2, "NAMES\nweb\nproxy-very-long-name\n"),
    ("table {{.Names}}", 0, "NAMES\n"),
    ("table", 2, "\n\n\n"),
    ("table", 0, "\n"),
    ("  table {{.ID}}  ", 2, "table 4c01db0b339c\ntable d7886598dbe2\n"),
    ("  table {{.ID}}  ", 0, ""),
    (
        "table {{.ID | upper}}\\t{{lower .Names}}\\t{{truncate .Image 5}}\\t{{pad .Names 1 1}}",
        2,
        "CONTAINER ID   NAMES                  IMAGE      NAMES \n4C01DB0B339C   web                    busyb      web \nD7886598DBE2   proxy-very-long-name   docke      proxy-very-long-name \n",
    ),
    (
        "table {{.ID | upper}}\\t{{lower .Names}}\\t{{truncate .Image 5}}\\t{{pad .Names 1 1}}",
        0,
        "CONTAINER ID   NAMES     IMAGE      NAMES \n",
    ),
    (
        "table {{json .Names}}\\t{{.Size}}",
        2,
        'NAMES                    SIZE\n"web"                    1234\n"proxy-very-long-name"   5\n',
    ),
    ("table {{json .Names}}\\t{{.Size}}", 0, "NAMES     SIZE\n"),
    (
        "table {{.ID}}\\n{{.Names}}",
        2,
        "CONTAINER ID\nNAMES\n4c01db0b339c\nweb\nd7886598dbe2\nproxy-very-long-name\n",
    ),
    ("table {{.ID}}\\n{{.Names}}", 0, "CONTAINER ID\nNAMES\n"),
    ("{{.ID}}\\t{{.Names}}", 2, "4c01db0b339c\tweb\nd7886598dbe2\tproxy-very-long-name\n"),
    ("{{.ID}}\\t{{.Names}}", 0, ""),
    ("  {{.ID}}: {{.Names}}  ", 2, "4c01db0b339c: web\nd7886598dbe2: proxy-very-long-name\n"),
    ("  {{.ID}}: {{.Names}}  ", 0, ""),
    (
        "json",
        2,
        '{"CreatedAt":"2024-01-01","ID":"4c01db0b339c","Image":"busybox:latest","Labels":{"a":"1"},"Names":"web","Ports":"","Size":1234,"Status":"Up 2 minutes"}\n{"CreatedAt":"2024-01-02","ID":"d7886598dbe2","Image":"docker.io/library/nginx:1.25-alpine","Labels":{},"Names":"proxy-very-long-name","Ports":"0.0.0.0:80->80/tcp","Size":5,"Status":"Exited (0) 3 hours ago"}\n',
    ),
    ("json", 0, ""),
    (
        "{{json .}}",
        2,
        '{"CreatedAt":"2024-01-01","ID":"4c01db0b339c","Image":"busybox:latest","Labels":{"a":"1"},"Names":"web","Ports":"","Size":1234,"Status":"Up 2 minutes"}\n{"CreatedAt":"2024-01-02","ID":"d7886598dbe2","Image":"docker.io/library/nginx:1.25-alpine","Labels":{},"Names":"proxy-very-long-name","Ports":"0.0.0.0:80->80/tcp","Size":5,"Status":"Exited (0) 3 hours ago"}\n',
    ),
    ("{{json .}}", 0, ""),
    (
        "table {{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}\\t{{.ID}}",
        2,
        "\na=1       4c01db0b339c\n          d7886598dbe2\n",
    ),
    ("table {{range $k, $v := .Labels}}{{$k}}={{$v}}{{end}}\\t{{.ID}}", 0, "\n"),
    (
        "table {{.ID}}\\t{{.CreatedAt}}",
        2,
        "CONTAINER ID   CREATED AT\n4c01db0b339c   2024-01-01\nd7886598dbe2   2024-01-02\n",
    ),
    ("table {{.ID}}\\t{{.CreatedAt}}", 0, "CONTAINER ID   CREATED AT\n"),
    (
        "{{.ID}} \\\\t {{.Names}}",
        2,
        "4c01db0b339c \\\t web\nd7886598dbe2 \\\t proxy-very-long-name\n",
    ),
    ("{{.ID}} \\\\t {{.Names}}", 0, ""),
    ("table {{.ID}}\t{{.Size}}", 2, "CONTAINER ID   SIZE\n4c01db0b339c   1234\nd7886598dbe2   5\n"),
    ("table {{.ID}}\t{{.Size}}", 0, "CONTAINER ID   SIZE\n"),
    (
        'table {{.Names}}\\t{{printf "%5d" .Size}}',
        2,
        "NAMES                  %!d(string= SIZE)\nweb                     1234\nproxy-very-long-name       5\n",
    ),
    ('table {{.Names}}\\t{{printf "%5d" .Size}}', 0, "NAMES     %!d(string= SIZE)\n"),
]


@pytest.mark.parametrize(("text", "expected"), GO_TABWRITER)
def test_tabwriter_matches_go(text: str, expected: str) -> None:
    assert tabwrite_text(text) == expected


@pytest.mark.parametrize(("fmt", "count", "expected"), GO_FORMAT)
def test_format_items_matches_docker(fmt: str, count: int, expected: str) -> None:
    assert format_items(fmt, ITEMS[:count], HEADER) == expected


def test_tabwrite_rows_pads_all_but_the_last_cell() -> None:
    assert tabwrite([["ID", "NAME"], ["0123456789abc", "x"]]) == (
        "ID              NAME\n0123456789abc   x\n"
    )


def test_wide_characters_count_two_columns_like_go_runewidth() -> None:
    # docker's tabwriter fork measures cells with go-runewidth, not rune counts.
    assert tabwrite([["日本語", "x"], ["abc", "y"]]) == "日本語    x\nabc       y\n"
    assert tabwrite([["e\u0301", "x"]]) == "e\u0301         x\n"


def test_prepare_follows_docker_preformat() -> None:
    p = prepare(r"table {{.ID}}\t{{.Names}}\n")
    assert (p.is_table, p.template) == (True, "{{.ID}}\t{{.Names}}\n")
    p = prepare("json")
    assert (p.is_table, p.template) == (False, "{{json .}}")
    p = prepare("  {{.ID}}\t ")  # only spaces are trimmed, a real tab stays
    assert (p.is_table, p.template) == (False, "{{.ID}}\t")


def test_header_functions_keep_column_names() -> None:
    out = format_table("{{upper .Names}}\t{{json .Labels}}\t{{truncate .ID 3}}", HEADER, ITEMS[:1])
    assert out.splitlines() == [
        "NAMES     LABELS      CONTAINER ID",
        'WEB       {"a":"1"}   4c0',
    ]


def test_fields_without_a_header_get_podman_style_names() -> None:
    out = format_table("{{.RunningFor}}\t{{.ID}}", {"ID": "CONTAINER ID"}, [])
    assert out == "RUNNING FOR   CONTAINER ID\n"
    assert default_header("CreatedAt") == "CREATED AT"
    assert default_header("ID") == "ID"
    assert default_header("HostIP") == "HOST IP"
    assert default_header("IPAddress") == "IP ADDRESS"


def test_json_rows_sort_keys_like_dockers_maps() -> None:
    assert format_items("json", [{"b": 1, "a": {"d": 2, "c": 3}}]) == '{"a":{"c":3,"d":2},"b":1}\n'


def test_bad_template_raises_before_printing() -> None:
    with pytest.raises(TemplateError, match=r'^template: :1: function "nope" not defined$'):
        format_items("table {{nope .ID}}", ITEMS, HEADER)


def test_row_execution_error_raises() -> None:
    with pytest.raises(TemplateError, match="can't evaluate field X in type interface"):
        format_items("{{.ID.X}}", ITEMS, HEADER)


def test_inspect_formats_each_item_on_its_own_line() -> None:
    data = [{"State": {"Status": "running", "Pid": 7}}, {"State": {"Status": "exited", "Pid": 0}}]
    assert format_inspect("{{.State.Status}} {{.State.Pid}}", data) == "running 7\nexited 0\n"
    assert format_inspect("{{json .State}}", data[:1]) == '{"Status":"running","Pid":7}\n'
    assert format_inspect("json", data[:1]) == '[{"State":{"Status":"running","Pid":7}}]\n'
    # docker prints an empty line when nothing matched, and keeps "\t" literally.
    assert format_inspect("{{.X}}", []) == "\n"
    assert format_inspect(r"a\tb", data[:1]) == "a\\tb\n"


# --- Properties ---------------------------------------------------------------------------

_cell = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-:/. ", max_size=25)


@given(st.text(alphabet=st.characters(blacklist_characters="\t\v\f", codec="ascii")))
def test_text_without_tabs_is_unchanged(text: str) -> None:
    assert tabwrite_text(text) == text


@given(st.lists(st.lists(_cell, min_size=3, max_size=3), min_size=1, max_size=8))
def test_columns_of_equal_rows_line_up(rows: list[list[str]]) -> None:
    lines = tabwrite(rows).split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert len(lines) == len(rows)
    for col in range(1, 3):
        # every row's cell in this column starts at the same offset ...
        offsets = {sum(max(10, max(len(r[c]) for r in rows) + 3) for c in range(col))}
        for line, row in zip(lines, rows, strict=True):
            (start,) = offsets
            assert line[start:].startswith(row[col])
            # ... and the cell before it is padded with spaces only
            assert line[:start].rstrip(" ").endswith(row[col - 1].rstrip(" ")) or not row[col - 1]


# performance (issue 16): the default tables are made without the template engine -------------

_CELL = st.text(st.characters(codec="utf-8", exclude_characters="\t\n\v\f\r"), max_size=8)


@given(
    st.lists(st.sampled_from(["ID", "Image", "Names", "CreatedAt", "Status", "X_y"]), min_size=1),
    st.lists(st.dictionaries(st.sampled_from(["ID", "Image", "Names", "Status", "X_y"]),
                             st.one_of(_CELL, st.integers(), st.none())), max_size=3),
)  # fmt: skip
def test_plain_rows_are_the_templates(fields: list[str], items: list[dict[str, object]]) -> None:
    """Whenever the lean path answers, it answers what the template engine makes."""
    from supervisor.format import gotemplate
    from supervisor.format.table import _header_data, plain_rows

    body = "\t".join(f"{{{{.{f}}}}}" for f in fields)
    header = {"ID": "CONTAINER ID", "Names": "NAMES"}
    text = plain_rows(body, header, items)
    if text is None:
        assert any(not isinstance(i.get(f), str) for i in items for f in fields)
        return
    tmpl = gotemplate.compile(body, sort_json_keys=True)
    rows = [tmpl.execute_header(_header_data(tmpl, header)), *map(tmpl.execute, items)]
    assert text == "".join(r + "\n" for r in rows)


def test_default_tables_need_no_template_engine() -> None:
    from supervisor.format.table import plain_rows

    ps = "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
    assert plain_rows(ps, {}, []) is not None
    for other in ("{{ .ID }}", "{{.ID}} x", "{{upper .ID}}", "{{.A.B}}", "", "{{.}}"):
        assert plain_rows(other, {}, []) is None, other
