"""Unit files as systemd reads them: a pure writer that escapes values, and a reader.

Writer: every value that comes from a user goes through one of three escapers, chosen by how
systemd reads the setting (systemd.syntax(7), systemd.service(5) "Command lines"):

- `exec_value(argv)` for ExecStart= and friends: each word quoted when needed, `%` written
  `%%` (specifiers are expanded per word after unquoting), `$` written `$$` (variables are
  expanded at exec time), `\\`, quotes and control characters as C escapes. A lone `;` would end
  the command, so it is quoted too.
- `words_value(words)` for list settings without variable expansion (Environment=).
- `plain_value(text)` for free-form settings (Description=): `%` escaped; characters that would
  end the line, continue it or be stripped are refused.

Reader: `parse(text)` keeps each entry's line number (for "file:line" messages) and follows
systemd's rules for comments and continuation lines; `split_words(value)` is systemd's
`extract_first_word` with EXTRACT_UNQUOTE | EXTRACT_CUNESCAPE (| EXTRACT_RELAX on request).

Standard library only and import-light: the Quadlet generator runs this under `python3 -I -S`
while the system boots.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: the generator imports this at boot, every ms counts
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

WHITESPACE = " \t\n\r"
# Characters a word may contain unquoted (besides letters and digits) without systemd reading
# anything into them.
_SAFE = frozenset("_@+=:,./-")
_C_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}
_C_UNESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_C_UNESCAPES.update({"\\": "\\", '"': '"', "'": "'", "s": " "})


class UnitSyntaxError(ValueError):
    """A value that cannot be written into a unit file, or a unit file that does not parse."""

    def __init__(self, message: str, line: int = 0) -> None:
        self.line = line
        super().__init__(message)


def _check_text(text: str, what: str) -> None:
    if "\0" in text:
        raise UnitSyntaxError(f"{what} contains a NUL character: {text!r}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnitSyntaxError(f"{what} is not valid UTF-8: {text!r}") from exc


class Specified(str):
    """A word whose `%` specifiers systemd is meant to expand (`%t/%n.ctr-id`): written by
    scopebox itself, never built from a user's value."""

    __slots__ = ()


def quote_word(word: str, expand_dollar: bool = True) -> str:
    """One argument, written so that systemd reads back exactly `word` (for a `Specified`
    word: `word` with its specifiers expanded)."""
    _check_text(word, "argument")
    body = word if isinstance(word, Specified) else word.replace("%", "%%")
    if expand_dollar:
        body = body.replace("$", "$$")
    if body and all(c.isascii() and (c.isalnum() or c in _SAFE) for c in body.replace("%", "")):
        return body
    out = []
    for c in body:
        if c in _C_ESCAPES:
            out.append(_C_ESCAPES[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


CONTINUATION = " \\\n\t"  # a line ending in a backslash goes on, the backslash read as a blank


def exec_value(argv: Sequence[str], prefix: str = "", wrap: bool = False) -> str:
    """ExecStart=-style value: `prefix` (systemd's `-`, `@`, `+`, ...) then the quoted argv;
    with `wrap`, each option after the first two words starts a continuation line (Podman's
    layout, easier to read)."""
    if not argv:
        raise UnitSyntaxError("a command line needs at least the program")
    if not argv[0].startswith("/"):
        raise UnitSyntaxError(f"the program must be an absolute path: {argv[0]!r}")
    if any(c not in "-@:+!" for c in prefix):
        raise UnitSyntaxError(f"invalid command prefix {prefix!r}")
    out = prefix + quote_word(argv[0])
    for i, w in enumerate(argv[1:], 1):
        out += (CONTINUATION if wrap and i > 1 and w.startswith("-") else " ") + quote_word(w)
    return out


def words_value(words: Iterable[str]) -> str:
    """Environment=-style value: quoted words, specifiers escaped, no variable expansion."""
    return " ".join(quote_word(w, expand_dollar=False) for w in words)


def plain_value(text: str) -> str:
    """Free-form value (Description=, SyslogIdentifier=): specifiers escaped; refused if systemd
    would cut, continue or trim it."""
    _check_text(text, "value")
    bad = [c for c in text if ord(c) < 0x20 or ord(c) == 0x7F]
    if bad:
        raise UnitSyntaxError(f"value contains a control character ({bad[0]!r}): {text!r}")
    if text != text.strip(WHITESPACE) or text.endswith("\\"):
        raise UnitSyntaxError(f"value has outer blanks or a trailing backslash: {text!r}")
    return text.replace("%", "%%")


def check_key(key: str) -> None:
    if not key or not all(c.isascii() and (c.isalnum() or c in "-_") for c in key):
        raise UnitSyntaxError(f"invalid key name {key!r}")


def check_section(name: str) -> None:
    if not name or any(c in "[]\n\r" or ord(c) < 0x20 for c in name):
        raise UnitSyntaxError(f"invalid section name {name!r}")


class Entry:
    """One `Key=Value`: the value as written in the file (escaped when the writer made it),
    the 1-based line of the source file (0 for entries made in memory)."""

    __slots__ = ("key", "line", "value")

    def __init__(self, key: str, value: str, line: int = 0) -> None:
        self.key, self.value, self.line = key, value, line

    def __repr__(self) -> str:
        return f"Entry({self.key!r}, {self.value!r}, {self.line})"


class Section:
    __slots__ = ("entries", "line", "name")

    def __init__(self, name: str, entries: list[Entry] | None = None, line: int = 0) -> None:
        self.name, self.line = name, line
        self.entries: list[Entry] = entries if entries is not None else []

    def add(self, key: str, value: str) -> None:
        check_key(key)
        if "\r" in value or "\n" in value.replace(CONTINUATION, " "):
            raise UnitSyntaxError(f"{key}= value spans lines: {value!r}")
        self.entries.append(Entry(key, value))

    def comment(self, text: str) -> None:
        """A comment line in the section, after a blank line (Podman's `# User-defined
        dependencies`); kept apart from the entries by its empty key."""
        if any(ord(c) < 0x20 for c in text):
            raise UnitSyntaxError(f"comment contains a control character: {text!r}")
        self.entries.append(Entry("", text))

    def values(self, key: str) -> list[str]:
        return [e.value for e in self.entries if e.key == key]

    def last(self, key: str) -> str | None:
        vals = self.values(key)
        return vals[-1] if vals else None


class UnitFile:
    __slots__ = ("comments", "sections")

    def __init__(
        self, sections: list[Section] | None = None, comments: list[str] | None = None
    ) -> None:
        self.sections: list[Section] = sections if sections is not None else []
        self.comments: list[str] = comments if comments is not None else []  # before [sections]

    def section(self, name: str) -> Section | None:
        for s in self.sections:
            if s.name == name:
                return s
        return None

    def ensure(self, name: str) -> Section:
        found = self.section(name)
        if found is None:
            check_section(name)
            found = Section(name)
            self.sections.append(found)
        return found

    def render(self) -> str:
        out = [f"# {c}".rstrip() for c in self.comments]
        for s in self.sections:
            if out:
                out.append("")
            out.append(f"[{s.name}]")
            out += [f"{e.key}={e.value}" if e.key else f"\n# {e.value}" for e in s.entries]
        return "\n".join(out) + "\n"


def _continues(line: str) -> bool:
    """An odd run of backslashes at the end: the last one is not escaped, the line goes on."""
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def parse(text: str) -> UnitFile:
    """A unit file's sections and entries with their line numbers (systemd's reading rules:
    `#`/`;` comments, a trailing backslash joins the next line with a space, comment lines
    inside a continuation are skipped, blanks around `=` and the value are dropped)."""
    unit = UnitFile()
    current: Section | None = None
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i + 1
        raw = lines[i].rstrip("\r")
        i += 1
        stripped = raw.strip(WHITESPACE)
        if not stripped or stripped[0] in "#;":
            continue
        while _continues(raw) and i < len(lines):
            nxt = lines[i].rstrip("\r")
            i += 1
            if nxt.lstrip(WHITESPACE)[:1] in ("#", ";"):
                continue
            raw = raw[:-1] + " " + nxt
        if _continues(raw):
            raw = raw[:-1]
        stripped = raw.strip(WHITESPACE)
        if stripped.startswith("["):
            if not stripped.endswith("]") or len(stripped) < 3:
                raise UnitSyntaxError(f"invalid section header {stripped!r}", start)
            current = Section(stripped[1:-1], line=start)
            unit.sections.append(current)
            continue
        key, eq, value = stripped.partition("=")
        if not eq:
            raise UnitSyntaxError(f"missing '=' in {stripped!r}", start)
        if current is None:
            raise UnitSyntaxError("assignment outside of a section", start)
        key = key.strip(WHITESPACE)
        if not key:
            raise UnitSyntaxError(f"empty key in {stripped!r}", start)
        current.entries.append(Entry(key, value.strip(WHITESPACE), start))
    return unit


def _unescape_one(s: str, i: int, relax: bool) -> tuple[str, int]:
    """C escape after the backslash at s[i-1]; returns (text, next index)."""
    if i >= len(s):
        if relax:
            return "\\", i
        raise UnitSyntaxError("trailing backslash")
    c = s[i]
    if c in _C_UNESCAPES:
        return _C_UNESCAPES[c], i + 1
    width = {"x": 2, "u": 4, "U": 8}.get(c)
    digits, base = (s[i + 1 : i + 1 + width], 16) if width else (s[i : i + 3], 8)
    valid = "0123456789abcdefABCDEF" if base == 16 else "01234567"
    want = width or 3
    if len(digits) == want and all(d in valid for d in digits):
        code = int(digits, base)
        in_range = code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
        if code and in_range and (base == 16 or code < 256):
            return chr(code), i + (1 + want if width else want)
    if relax:
        return "\\" + c, i + 1
    raise UnitSyntaxError(f"invalid escape '\\{c}'")


def split_words(value: str, relax: bool = False) -> list[str]:
    """Words of a list setting, unquoted and C-unescaped as systemd's extract_first_word does
    (quotes may open mid-word: `a"b c"` is `ab c`)."""
    words: list[str] = []
    i, n = 0, len(value)
    while True:
        while i < n and value[i] in WHITESPACE:
            i += 1
        if i >= n:
            return words
        word: list[str] = []
        quote = ""
        while i < n:
            c = value[i]
            if quote:
                if c == quote:
                    quote = ""
                    i += 1
                elif c == "\\":
                    text, i = _unescape_one(value, i + 1, relax)
                    word.append(text)
                else:
                    word.append(c)
                    i += 1
            elif c in WHITESPACE:
                break
            elif c in "'\"":
                quote = c
                i += 1
            elif c == "\\":
                text, i = _unescape_one(value, i + 1, relax)
                word.append(text)
            else:
                word.append(c)
                i += 1
        if quote and not relax:
            raise UnitSyntaxError(f"unbalanced quote in {value!r}")
        words.append("".join(word))


def unescape_specifiers(word: str) -> str:
    """What systemd makes of a word with no specifier but `%%`: the writer's inverse."""
    if "%" in word.replace("%%", ""):
        raise UnitSyntaxError(f"unexpected specifier in {word!r}")
    return word.replace("%%", "%")


def read_exec_value(value: str) -> list[str]:
    """The argv systemd runs for an ExecStart= value written by `exec_value` (prefix dropped;
    `$$` read as `$`): the inverse the tests check against the real systemd."""
    value = value.lstrip("-@:+!")
    return [unescape_specifiers(w).replace("$$", "$") for w in split_words(value)]
