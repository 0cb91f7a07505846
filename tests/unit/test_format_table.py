# ruff: noqa: E501  (golden strings from Go are kept on one line each)
"""Podman's table formatter (containers/common pkg/report) and Go's tabwriter.

GO_TABWRITER's expected strings were produced by real Go (1.19) text/tabwriter with minwidth
10, padding 3 (docker's configuration: the algorithm is the same for Podman's 12 and 2).
PODMAN's were printed by the real podman 4.3.1 on this project's machine for the same rows
(`podman ps -a --format ...` over three containers; pod ps, network ls, stats for the header
names), so they pin Podman's writer (minwidth 12, padding 2), its `table ` normalisation and
its struct-derived header names.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervisor.format import TemplateError, format_inspect
from supervisor.format.table import (
    headers,
    is_json,
    normalize,
    report,
    split_camel,
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

# podman ps -a's rows of three containers (the fields the formats below read)
PS_ROWS: list[dict[str, object]] = [
    {"ID": "b69bb8c377d6", "Names": "tables-web", "Ports": "", "Status": "Up 4 minutes ago",
     "Labels": {"app": "web", "tier": "front"}},
    {"ID": "dd71ecf8507d", "Names": "tables-done", "Ports": "",
     "Status": "Exited (3) 3 minutes ago", "Labels": {"app": "batch"}},
    {"ID": "24d499e46a38", "Names": "tables-fresh", "Ports": "", "Status": "Created",
     "Labels": {}},
]  # fmt: skip
PS_HEADER = headers(
    ("AutoRemove", "Command", "Created", "CreatedAt", "Exited", "ExitedAt", "ExitCode", "ID",
     "Image", "ImageID", "IsInfra", "Labels", "Mounts", "Names", "Namespaces", "Networks", "Pid",
     "Pod", "PodName", "Ports", "Size", "StartedAt", "State", "Status"),
    {"CreatedHuman": "created", "ID": "container id", "PodName": "podname",
     "RunningFor": "running for"},
)  # fmt: skip
PS_DEFAULT = "table {{.ID}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

# (user --format or None for the default, --noheading, podman's stdout)
PODMAN: list[tuple[str | None, bool, str]] = [
    (None, False, "CONTAINER ID  STATUS                    PORTS       NAMES\nb69bb8c377d6  Up 4 minutes ago                      tables-web\ndd71ecf8507d  Exited (3) 3 minutes ago              tables-done\n24d499e46a38  Created                               tables-fresh\n"),
    (None, True, "b69bb8c377d6  Up 4 minutes ago                      tables-web\ndd71ecf8507d  Exited (3) 3 minutes ago              tables-done\n24d499e46a38  Created                               tables-fresh\n"),
    ("table {{.ID}} {{.Names}}", False, "CONTAINER ID  NAMES\nb69bb8c377d6  tables-web\ndd71ecf8507d  tables-done\n24d499e46a38  tables-fresh\n"),
    ("table {{.ID}} {{.Names}}", True, "b69bb8c377d6  tables-web\ndd71ecf8507d  tables-done\n24d499e46a38  tables-fresh\n"),
    ("table {{.ID}}:{{.Names}}  x", False, "CONTAINER ID:NAMES                     x\nb69bb8c377d6:tables-web                x\ndd71ecf8507d:tables-done               x\n24d499e46a38:tables-fresh              x\n"),
    ("table {{lower .Names}} {{json .Names}}", False, 'names         "NAMES"\ntables-web    "tables-web"\ntables-done   "tables-done"\ntables-fresh  "tables-fresh"\n'),
    ("table {{.ID}}\\t{{.Names}}\\t{{.Labels}}", False, "CONTAINER ID  NAMES         LABELS\nb69bb8c377d6  tables-web    map[app:web tier:front]\ndd71ecf8507d  tables-done   map[app:batch]\n24d499e46a38  tables-fresh  map[]\n"),
    ("table", False, "table\ntable\ntable\n"),
    ("table ", False, "\n\n\n\n"),
    ("", False, "\n\n\n"),
    ("{{.ID}}\\t{{.Names}}", False, "b69bb8c377d6\ttables-web\ndd71ecf8507d\ttables-done\n24d499e46a38\ttables-fresh\n"),
    ("{{range .}}{{.Names}},{{end}}", False, "tables-web,tables-done,tables-fresh,\n"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), GO_TABWRITER)
def test_tabwriter_matches_go(text: str, expected: str) -> None:
    assert tabwrite_text(text, minwidth=10, padding=3) == expected


@pytest.mark.parametrize(("fmt", "noheading", "expected"), PODMAN)
def test_report_matches_podman(fmt: str | None, noheading: bool, expected: str) -> None:
    assert report(fmt, PS_DEFAULT, PS_HEADER, PS_ROWS, noheading=noheading) == expected


def test_empty_listing_is_the_header_alone() -> None:
    # podman pod ps / secret ls with nothing to list
    assert report(None, PS_DEFAULT, PS_HEADER, []) == "CONTAINER ID  STATUS      PORTS       NAMES\n"
    assert report("table {{.Names}}", PS_DEFAULT, PS_HEADER, []) == "NAMES\n"
    assert report("{{.Names}}", PS_DEFAULT, PS_HEADER, []) == ""
    fields = "table {{.RunningFor}} {{.PodName}} {{.ImageID}} {{.IsInfra}}"
    assert report(fields, PS_DEFAULT, PS_HEADER, []) == (
        "RUNNING FOR  PODNAME     IMAGE ID    IS INFRA\n"
    )


def test_headers_are_the_struct_fields_podman_reflects() -> None:
    # podman 4.3.1: ps, network ls, stats, pod ps column names of custom tables
    assert split_camel("ImageID") == ["Image", "ID"]
    assert split_camel("PDFLoader") == ["PDF", "Loader"]
    assert split_camel("IPv6Enabled") == ["I", "Pv", "6", "Enabled"]
    h = headers(("ExitCode", "IPv6Enabled", "DNSEnabled", "PIDs", "ParentId", "ID"),
                {"ID": "network id", "Cgroup": "cgroupns"})
    assert h == {"ExitCode": "EXIT CODE", "IPv6Enabled": "I PV 6 ENABLED",
                 "DNSEnabled": "DNS ENABLED", "PIDs": "PI DS", "ParentId": "PARENT ID",
                 "ID": "NETWORK ID", "Cgroup": "CGROUPNS"}  # fmt: skip
    # pod ps: a field the map lacks is headed "<no value>" (podman prints it so for {{.ID}})
    pods = [{"ID": "172640216a36", "Id": "172640216a36", "Name": "tables-pod1"}]
    out = report("table {{.ID}} {{.Id}} {{.Name}}", "", {"Id": "POD ID", "Name": "NAME"}, pods)
    assert out == ("<no value>    POD ID        NAME\n"
                   "172640216a36  172640216a36  tables-pod1\n")  # fmt: skip


def test_normalize_as_containers_common() -> None:
    assert normalize("table {{.ID}} {{.Names}}") == "{{.ID}}\t{{.Names}}\n"
    assert normalize("table {{.A}}\\t{{.B}}\\n") == "{{.A}}\t{{.B}}\n"
    assert normalize("table {{.A}} table {{.B}}") == "{{.A}}\t{{.B}}\n"  # each `table ` goes
    assert normalize('table {{printf "%s x" .A}}') == '{{printf\t"%s\tx"\t.A}}\n'
    assert normalize("{{.A}} {{.B}}\\t") == "{{.A}} {{.B}}\t\n"  # no table: spaces stay
    assert normalize("x\n") == "x\n"


def test_is_json_as_containers_common() -> None:
    for yes in ("json", " json ", "{{json .}}", "{{ json . }}", "{{json}}", "\t{{json .}}\n"):
        assert is_json(yes), yes
    for no in ("jsonx", "{{json .X}}", "{{jsonx .}}", "{{json.}}", "table json", "{{ .}}"):
        assert not is_json(no), no


def test_template_error_keeps_what_podman_prints_first() -> None:
    # Podman flushes its tabwriter before the error: the header and the rows done so far
    rows = [{"Names": "a", "Zzz": {"x": "1"}}, {"Names": "b", "Zzz": "s"}]
    with pytest.raises(TemplateError, match="can't evaluate field x") as info:
        report("table {{.Names}} {{.Zzz.x}}", PS_DEFAULT, PS_HEADER, rows)
    # a key the header map lacks is "<no value>", and a field of that is no error (Go's rule)
    assert info.value.partial == "NAMES       <no value>\na           1\nb"
    with pytest.raises(TemplateError, match="can't evaluate field app") as info:
        report("table {{.Labels.app}}", PS_DEFAULT, PS_HEADER, PS_ROWS)  # as podman ps: rc 125
    assert info.value.partial == ""
    with pytest.raises(TemplateError, match='function "nope" not defined'):
        report("table {{nope .ID}}", PS_DEFAULT, PS_HEADER, PS_ROWS)


def test_tabwrite_rows_pads_all_but_the_last_cell() -> None:
    assert tabwrite([["ID", "NAME"], ["0123456789abc", "x"]]) == (
        "ID             NAME\n0123456789abc  x\n"
    )


def test_cells_are_measured_in_runes_as_text_tabwriter_does() -> None:
    # Podman's stdlib tabwriter counts runes (docker's fork counted display width).
    assert tabwrite([["日本語", "x"], ["abc", "y"]]) == "日本語         x\nabc         y\n"
    assert tabwrite([["e\u0301", "x"]]) == "e\u0301          x\n"


def test_inspect_formats_each_item_on_its_own_line() -> None:
    data = [{"State": {"Status": "running", "Pid": 7}}, {"State": {"Status": "exited", "Pid": 0}}]
    assert format_inspect("{{.State.Status}} {{.State.Pid}}", data) == "running 7\nexited 0\n"
    assert format_inspect("{{json .State}}", data[:1]) == '{"Status":"running","Pid":7}\n'
    assert format_inspect("json", data[:1]) == '[{"State":{"Status":"running","Pid":7}}]\n'
    # podman 4.3.1 (report.Parse, OriginUser): nothing for no items, `\t` a tab, a range of
    # the format's own over the list (`podman inspect --format '{{.Name}}\t{{.State.Status}}'`
    # printed `tables-web<TAB>running`; for a missing name only the error)
    assert format_inspect("{{.X}}", []) == ""
    assert format_inspect(r"a\tb", data[:1]) == "a\tb\n"
    assert format_inspect("{{range .}}{{.State.Pid}},{{end}}", data) == "7,0,\n"


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
        offsets = {sum(max(12, max(len(r[c]) for r in rows) + 2) for c in range(col))}
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
    st.booleans(),
)  # fmt: skip
def test_plain_rows_are_the_templates(fields: list[str], items: list[dict[str, object]],
                                      heading: bool) -> None:
    """Whenever the lean path answers, it answers what the template engine makes."""
    from supervisor.format import gotemplate
    from supervisor.format.table import plain_rows

    body = "{{range .}}" + "\t".join(f"{{{{.{f}}}}}" for f in fields) + "\n{{end -}}"
    header = {"ID": "CONTAINER ID", "Names": "NAMES"} if heading else None
    text = plain_rows(body, header, items)
    if text is None:
        assert any(not isinstance(i.get(f), str) for i in items for f in fields)
        return
    tmpl = gotemplate.compile(body, sort_json_keys=True)
    want = (tmpl.execute([header]) if header is not None else "") + tmpl.execute(items)
    assert text == want


def test_default_tables_need_no_template_engine() -> None:
    from supervisor.format.table import plain_rows

    ps = "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
    for rng in ("{{range .}}", "{{range . }}"):
        assert plain_rows(rng + ps + "\n{{end -}}", {}, []) is not None
    for other in ("{{ .ID }}", "{{.ID}} x", "{{upper .ID}}", "{{.A.B}}", "", "{{.}}"):
        assert plain_rows("{{range .}}" + other + "\n{{end -}}", {}, []) is None, other
    assert plain_rows(ps + "\n", {}, []) is None  # not ranged


def test_has_range_is_podmans_regexp() -> None:
    import re

    from supervisor.format.table import _has_range

    go = re.compile(r"(?s){{\s*range\s*\.\s*}}.*{{\s*end\s*-?\s*}}")
    for text in ("{{range .}}x{{end}}", "{{ range . }}{{.A}}{{ end -}}", "{{range.}}{{end}}",
                 "{{.A}}", "{{range .Labels}}{{end}}", "{{range .}}", "x{{range .}}\n{{end - }}",
                 "{{end}}{{range .}}", "{{range .}}{{- end}}", "{{range .}}{{end-}}"):
        assert _has_range(text) == bool(go.search(text)), text


def test_ps_status_is_podmans_wording() -> None:
    # podman 4.3.1 ps: "Up 26 minutes ago", a paused container "Paused"; psReporter.Status
    # puts the health state after the age
    from supervisor.cli.ps import podman_status

    assert podman_status("Up 26 minutes") == "Up 26 minutes ago"
    assert podman_status("Up 26 minutes (Paused)") == "Paused"
    assert podman_status("Up 3 seconds (healthy)") == "Up 3 seconds ago (healthy)"
    for same in ("Exited (3) 2 minutes ago", "Created", "Stopping"):
        assert podman_status(same) == same
