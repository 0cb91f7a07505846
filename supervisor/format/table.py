"""Docker's table output: a template per row, a header row, then Go's tabwriter.

docker/cli renders `--format 'table {{.ID}}\\t{{.Status}}'` like this: drop the `table`
prefix, trim spaces, turn the two-character sequences `\\t` and `\\n` into a tab and a
newline, execute the template once on a header map (with docker's header functions, so
`{{upper .Names}}` still prints `NAMES`) and once per item, and feed all of it to
`tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Final

    from supervisor.format import gotemplate

__all__ = [
    "JSON_FORMAT",
    "Prepared",
    "default_header",
    "format_items",
    "format_table",
    "prepare",
    "tabwrite",
    "tabwrite_text",
]

TABLE_KEY: Final = "table"
JSON_FORMAT: Final = "{{json .}}"

# docker/cli formatter.go: tabwriter.NewWriter(output, 10, 1, 3, ' ', 0)
MIN_WIDTH: Final = 10
PADDING: Final = 3


def _width(s: str) -> int:
    """Display width as go-runewidth counts it: wide East Asian runes 2, combining marks 0."""
    if s.isascii():
        return len(s)
    import unicodedata  # lazy: only non-ASCII cells pay for it

    w = 0
    for c in s:
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        w += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return w


class _Cell:
    __slots__ = ("htab", "text", "width")

    def __init__(self, text: str, htab: bool) -> None:
        self.text, self.width, self.htab = text, _width(text), htab


class _TabWriter:
    """Go's text/tabwriter (elastic tabstops) with padchar ' ' and no flags."""

    def __init__(self, minwidth: int, padding: int) -> None:
        self.minwidth, self.padding = minwidth, padding
        self.out: list[str] = []
        self.lines: list[list[_Cell]] = [[]]
        self.cell = ""
        self.widths: list[int] = []

    def write(self, text: str) -> None:
        start = 0
        for i, ch in enumerate(text):
            if ch not in "\t\v\n\f":
                continue
            self.cell += text[start:i]
            start = i + 1
            line = self.lines[-1]
            line.append(_Cell(self.cell, ch == "\t"))
            self.cell = ""
            if ch in "\n\f":
                self.lines.append([])
                # A one-cell line cannot influence later columns, so Go flushes there;
                # a formfeed always flushes.
                if ch == "\f" or len(line) == 1:
                    self.flush()
        self.cell += text[start:]

    def flush(self) -> None:
        if self.cell:
            self.lines[-1].append(_Cell(self.cell, False))
            self.cell = ""
        self.format(0, len(self.lines))
        self.lines = [[]]
        self.widths = []

    def format(self, line0: int, line1: int) -> None:
        column = len(self.widths)
        this = line0
        while this < line1:
            if column >= len(self.lines[this]) - 1:
                this += 1
                continue
            # This line opens a block of lines that all have a cell in `column`
            # (a line's last cell is not part of any column: cells are tab-terminated).
            self.write_lines(line0, this)
            line0 = this
            width = self.minwidth
            while this < line1 and column < len(self.lines[this]) - 1:
                width = max(width, self.lines[this][column].width + self.padding)
                this += 1
            self.widths.append(width)
            self.format(line0, this)
            self.widths.pop()
            line0 = this
        self.write_lines(line0, line1)

    def write_lines(self, line0: int, line1: int) -> None:
        out, widths = self.out, self.widths
        for i in range(line0, line1):
            for j, c in enumerate(self.lines[i]):
                out.append(c.text)
                if j < len(widths):
                    out.append(" " * (widths[j] - c.width))
            if i + 1 < len(self.lines):
                out.append("\n")


def tabwrite_text(text: str, *, minwidth: int = MIN_WIDTH, padding: int = PADDING) -> str:
    """Align tab-terminated cells of `text` like Go's tabwriter in docker's configuration."""
    w = _TabWriter(minwidth, padding)
    w.write(text)
    w.flush()
    return "".join(w.out)


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Align rows of cells; every row ends in a newline, its last cell is not padded."""
    return tabwrite_text("".join("\t".join(r) + "\n" for r in rows))


class Prepared:
    """A --format string after docker's preFormat: whether it is a table, and the template."""

    __slots__ = ("is_table", "template")

    def __init__(self, is_table: bool, template: str) -> None:
        self.is_table, self.template = is_table, template

    def __repr__(self) -> str:
        return f"Prepared(is_table={self.is_table!r}, template={self.template!r})"


def prepare(fmt: str) -> Prepared:
    """docker/cli Context.preFormat: `table` prefix, `json` keyword, spaces, `\\t` `\\n`."""
    is_table = fmt.startswith(TABLE_KEY)
    body = fmt[len(TABLE_KEY) :] if is_table else (JSON_FORMAT if fmt == "json" else fmt)
    body = body.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    return Prepared(is_table, body)


def default_header(field: str) -> str:
    """Podman's fallback header for a field without one: `CreatedAt` -> `CREATED AT`."""
    out: list[str] = []
    for i, c in enumerate(field):
        prev = field[i - 1] if i else ""
        nxt = field[i + 1] if i + 1 < len(field) else ""
        if c.isupper() and prev and (prev.islower() or (prev.isupper() and nxt.islower())):
            out.append(" ")
        out.append(c.upper())
    return "".join(out)


def _header_data(tmpl: gotemplate.Template, header: Mapping[str, str]) -> dict[str, str]:
    data = dict(header)
    for name in tmpl.field_names():
        data.setdefault(name, default_header(name))
    return data


def format_table(template_body: str, header: Mapping[str, str], items: Sequence[object]) -> str:
    """Header row plus one row per item, tab-aligned; `template_body` has no `table` prefix."""
    text = plain_rows(template_body, header, items)
    if text is None:
        from supervisor.format import gotemplate

        tmpl = gotemplate.compile(template_body, sort_json_keys=True)
        parts = [tmpl.execute_header(_header_data(tmpl, header)), "\n"]
        for item in items:
            parts.append(tmpl.execute(item))
            parts.append("\n")
        text = "".join(parts)
    return tabwrite_text(text)


def plain_rows(
    template_body: str, header: Mapping[str, str], items: Sequence[object]
) -> str | None:
    """performance (issue 16): the rows of a template of tab-separated `{{.Field}}` cells (the
    verbs' default tables) over string fields, as the template engine would make them, without
    loading it; None for any other template or value."""
    names = template_body.split("\t")
    for i, cell in enumerate(names):
        name = cell[3:-2] if cell.startswith("{{.") and cell.endswith("}}") else ""
        if not name or not name.replace("_", "").isalnum() or not name.isascii():
            return None
        names[i] = name
    rows = ["\t".join(header[n] if n in header else default_header(n) for n in names)]
    for item in items:
        if not isinstance(item, dict):
            return None
        cells = [item.get(n) for n in names]
        if not all(type(c) is str for c in cells):
            return None
        rows.append("\t".join(cells))  # type: ignore[arg-type]
    return "".join(row + "\n" for row in rows)


def format_items(fmt: str, items: Sequence[object], header: Mapping[str, str] | None = None) -> str:
    """`ps`/`images` --format: a table, `json`, or a template printed once per item.

    docker's rows are Go maps, so `{{json .}}` prints their keys sorted.
    """
    prepared = prepare(fmt)
    if prepared.is_table:
        return format_table(prepared.template, header or {}, items)
    from supervisor.format import gotemplate

    tmpl = gotemplate.compile(prepared.template, sort_json_keys=True)
    return "".join(tmpl.execute(item) + "\n" for item in items)
