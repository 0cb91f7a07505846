"""Podman's table output (containers/common pkg/report, v0.50 as Podman 4.3 vendors it).

A verb's format is a Go template over the list of rows.  `table ...` (the prefix with its
space, exactly) is a table: every `table ` is dropped, the two-character sequences `\\t`
and `\\n` become a tab and a newline, every space a tab (`table {{.ID}} {{.Names}}` has two
columns), a newline is added at the end, and the whole is wrapped in `{{range .}}...{{end -}}`.
Any other user format gets the same escapes (not the spaces) and the range unless it has one
of its own, and is printed as it is.  A table (and a verb's own format) goes through
`tabwriter.NewWriter(out, 12, 2, 2, ' ', tabwriter.StripEscape)`; its header is the same
template executed over one map of column names, made from the Go struct's field names
(camel case split, upper-cased) and the verb's overrides: a field the map lacks prints
`<no value>`, and functions apply to the names too (`{{lower .Names}}` -> `names`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Final

__all__ = [
    "RANGE",
    "headers",
    "is_json",
    "normalize",
    "report",
    "split_camel",
    "tabwrite",
    "tabwrite_text",
]

TABLE_KEY: Final = "table "
RANGE: Final = "{{range .}}"
END: Final = "{{end -}}"
NO_VALUE: Final = "<no value>"  # Go's text/template for a key a map lacks

# containers/common report.Formatter.Parse: tabwriter.NewWriter(w, 12, 2, 2, ' ', StripEscape)
# (tabwidth only matters for a tab padchar; StripEscape only for 0xff bytes, never in UTF-8)
MIN_WIDTH: Final = 12
PADDING: Final = 2


class _Cell:
    __slots__ = ("htab", "text", "width")

    def __init__(self, text: str, htab: bool) -> None:
        # text/tabwriter counts runes (utf8.RuneCount), not display width
        self.text, self.width, self.htab = text, len(text), htab


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
    """Align tab-terminated cells of `text` like Go's tabwriter in Podman's configuration."""
    w = _TabWriter(minwidth, padding)
    w.write(text)
    w.flush()
    return "".join(w.out)


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Align rows of cells; every row ends in a newline, its last cell is not padded."""
    return tabwrite_text("".join("\t".join(r) + "\n" for r in rows))




def split_camel(name: str) -> list[str]:
    """containers/common report/camelcase.Split: runs of lower, upper, digit and other
    characters, an upper run giving its last letter to a following lower run (`PDFLoader` ->
    `PDF Loader`, `ImageID` -> `Image ID`, `IPv6Enabled` -> `I Pv 6 Enabled`)."""
    runs: list[list[str]] = []
    last = 0
    for c in name:
        cls = 1 if c.islower() else 2 if c.isupper() else 3 if c.isdigit() else 4
        if cls == last:
            runs[-1].append(c)
        else:
            runs.append([c])
        last = cls
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1].insert(0, runs[i].pop())
    return ["".join(r) for r in runs if r]


def headers(fields: Iterable[str], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """report.Headers: a Go struct's field names (those of embedded structs included, not of
    embedded pointers) as column names, then the verb's overrides, all upper-cased."""
    out = {f: " ".join(split_camel(f)).upper() for f in fields}
    for key, value in (overrides or {}).items():
        out[key] = value.upper()
    return out


def normalize(fmt: str) -> str:
    """report.NormalizeFormat: a table's spaces become tabs (its `table ` words vanish),
    `\\t` and `\\n` are unescaped, and the result ends in a newline."""
    if fmt.startswith(TABLE_KEY):
        # strings.NewReplacer("table ", "", `\t`, "\t", " ", "\t", `\n`, "\n"): one pass,
        # the earliest match at each position, `table ` before a lone space.
        out: list[str] = []
        i, n = 0, len(fmt)
        while i < n:
            if fmt.startswith(TABLE_KEY, i):
                i += len(TABLE_KEY)
            elif fmt.startswith("\\t", i):
                out.append("\t")
                i += 2
            elif fmt.startswith("\\n", i):
                out.append("\n")
                i += 2
            else:
                out.append("\t" if fmt[i] == " " else fmt[i])
                i += 1
        text = "".join(out)
    else:
        text = fmt.replace("\\t", "\t").replace("\\n", "\n")
    return text if text.endswith("\n") else text + "\n"


def is_json(fmt: str) -> bool:
    """report.IsJSON: `json` or `{{json .}}` (`{{ json }}` too), spaces around allowed."""
    s = fmt.strip(" \t\n\f\r")
    if s == "json":
        return True
    if not (s.startswith("{{") and s.endswith("}}")):
        return False
    inner = s[2:-2].strip(" \t\n\f\r")
    if not inner.startswith("json"):
        return False
    rest = inner[4:]
    return rest.strip(" \t\n\f\r") in ("", ".") and (rest == "" or rest[0] in " \t\n\f\r")


_SPACE: Final = " \t\n\f\r"  # RE2's \s


def _tokens_at(text: str, i: int, words: Sequence[str]) -> int:
    """The end of `words` at `i`, each after optional white space; -1 when they are not
    there (a word ending in `?` may be absent)."""
    for word in words:
        while i < len(text) and text[i] in _SPACE:
            i += 1
        optional = word.endswith("?")
        word = word.rstrip("?")
        if text.startswith(word, i):
            i += len(word)
        elif not optional:
            return -1
    return i


def _has_range(fmt: str) -> bool:
    """report.EnforceRange's test, `(?s){{\\s*range\\s*\\.\\s*}}.*{{\\s*end\\s*-?\\s*}}`,
    without loading `re` (issue 16: ps --format's cold start)."""
    start = fmt.find("{{")
    while start >= 0:
        after = _tokens_at(fmt, start + 2, ("range", ".", "}}"))
        if after >= 0:
            end = fmt.find("{{", after)
            while end >= 0:
                if _tokens_at(fmt, end + 2, ("end", "-?", "}}")) >= 0:
                    return True
                end = fmt.find("{{", end + 2)
            return False
        start = fmt.find("{{", start + 2)
    return False


def _template_text(fmt: str, user: bool) -> tuple[str, str, bool]:
    """Formatter.Parse: the template to try first, the one to fall back on when it does not
    parse, and whether the output is a table (tab-aligned)."""
    if fmt.startswith(TABLE_KEY):
        return RANGE + normalize(fmt) + END, RANGE + fmt + END, True
    if user:
        norm = normalize(fmt)
        return (norm if _has_range(norm) else RANGE + norm + END,
                fmt if _has_range(fmt) else RANGE + fmt + END, False)
    return normalize(fmt), fmt, True


def plain_rows(body: str, header: Mapping[str, str] | None,
               items: Sequence[object]) -> str | None:
    """performance (issue 16): what `{{range .}}{{.A}}\\t{{.B}}\\n{{end -}}` (the verbs' own
    tables) makes of string fields, without loading the template engine; None for any other
    template or value."""
    for start in ("{{range .}}", "{{range . }}"):
        if body.startswith(start) and body.endswith("\n" + END):
            break
    else:
        return None
    names = body[len(start) : -len(END) - 1].split("\t")
    for i, cell in enumerate(names):
        name = cell[3:-2] if cell.startswith("{{.") and cell.endswith("}}") else ""
        if not name or not name.replace("_", "").isalnum() or not name.isascii():
            return None
        names[i] = name
    rows = []
    if header is not None:
        rows.append("\t".join(header.get(n, NO_VALUE) for n in names))
    for item in items:
        if not isinstance(item, dict):
            return None
        cells = [item.get(n) for n in names]
        if not all(type(c) is str for c in cells):
            return None
        rows.append("\t".join(cells))  # type: ignore[arg-type]
    return "".join(row + "\n" for row in rows)


def report(user_format: str | None, default: str, header: Mapping[str, str],
           items: Sequence[object], *, noheading: bool = False,
           always_header: bool = False, sort_json_keys: bool = True) -> str:
    """A verb's listing as Podman prints it: `user_format` (None: the verb's own `default`,
    `table ...` or a ranged template), the header row unless `noheading` or a user's
    template is no table (`always_header`: even then, as `pod stats` does).  A TemplateError
    carries in `partial` what Podman prints before it.  `sort_json_keys`: the rows are Go
    maps, whose `{{json .}}` sorts their keys (not so for structs).
    """
    user = user_format is not None
    body, fallback, tabbed = _template_text(default if user_format is None else user_format,
                                            user)
    shown = header if (tabbed or always_header) and not noheading else None
    text = plain_rows(body, shown, items)
    if text is None:
        from supervisor.format.gotemplate import TemplateError

        try:
            text = _execute(body, fallback, shown, items, sort_json_keys)
        except TemplateError as exc:
            if tabbed:
                exc.partial = tabwrite_text(exc.partial)
            raise
    return tabwrite_text(text) if tabbed else text


def _execute(body: str, fallback: str, header: Mapping[str, str] | None,
             items: Sequence[object], sort_json_keys: bool) -> str:
    from supervisor.format import gotemplate

    try:
        tmpl = gotemplate.compile(body, sort_json_keys=sort_json_keys)
    except gotemplate.TemplateError:
        tmpl = gotemplate.compile(fallback, sort_json_keys=sort_json_keys)
    done = ""
    try:
        if header is not None:
            done = tmpl.execute([dict(header)])
        return done + tmpl.execute(list(items))
    except gotemplate.TemplateError as exc:
        exc.partial = done + exc.partial
        raise
