"""A subset of Go's text/template, as `docker ... --format` and `podman ... --format` use it.

Data is what JSON decodes to (dict, list, str, int, float, bool, None).  Output and error
messages follow Go's text/template, the function set is Go's builtins plus docker/cli's
`templates` package (json, split, join, title, lower, upper, pad, truncate).

Not supported: define/template/block, `call`, methods, complex numbers.  Import-light on
purpose (no `re`, no `json`, no `dataclasses`): `scopebox ps` cold start counts.
"""

from __future__ import annotations

from supervisor.format.gostruct import GoStruct

# `typing` costs more to import than this whole module (it pulls in `re`): annotations only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any, Final

__all__ = ["Template", "TemplateError", "compile", "go_json", "go_sprint", "render"]


class TemplateError(Exception):
    """A format string could not be parsed or executed; `str()` is Go's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.partial = ""  # what an execution wrote before failing (Go's writer got it)


class _Missing:
    """Go's invalid reflect.Value: a missing map key, printed as `<no value>`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<no value>"


MISSING: Final = _Missing()
# Marks "no value was piped in", which Go keeps apart from a piped missing value.
_NOFINAL: Final = object()

_SPACE: Final = " \t\r\n"

# ---------------------------------------------------------------------------------------------
# Lexer

# Token kinds.
_TEXT, _LEFT, _RIGHT, _SPACE_T, _FIELD, _IDENT, _VAR, _STRING, _RAW, _CHARCONST = range(10)
_NUMBER, _BOOL, _NIL, _DOT, _PIPE, _LPAREN, _RPAREN, _DECLARE, _ASSIGN, _CHAR = range(10, 20)
_KEYWORD, _EOF, _ERROR = 20, 21, 22
_KEYWORDS: Final = frozenset(
    {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}
)


class _Tok:
    __slots__ = ("kind", "line", "pos", "val")

    def __init__(self, kind: int, val: str, pos: int, line: int) -> None:
        self.kind, self.val, self.pos, self.line = kind, val, pos, line

    def describe(self) -> str:
        if self.kind == _EOF:
            return "EOF"
        if self.kind == _KEYWORD:
            return f"<{self.val}>"
        if len(self.val) > 10:
            return _go_quote(self.val[:10]) + "..."
        return _go_quote(self.val)


def _is_alnum(c: str) -> bool:
    return c.isalnum() or c == "_"


class _LexError(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


class _Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks: list[_Tok] = []
        self.paren = 0

    def line_at(self, pos: int) -> int:
        return 1 + self.src.count("\n", 0, pos)

    def fail(self, msg: str, pos: int) -> _LexError:
        return _LexError(msg, self.line_at(pos))

    def emit(self, kind: int, start: int, end: int) -> None:
        self.toks.append(_Tok(kind, self.src[start:end], start, self.line_at(start)))

    def run(self) -> list[_Tok]:
        # Go lexes lazily, so a parse error before a lexing error wins: the lexing error
        # becomes a token that the parser raises only when it gets there.
        try:
            self.lex()
        except _LexError as exc:
            self.toks.append(_Tok(_ERROR, exc.message, len(self.src), exc.line))
        self.toks.append(_Tok(_EOF, "", len(self.src), self.line_at(len(self.src))))
        return self.toks

    def lex(self) -> None:
        src, pos = self.src, 0
        while True:
            i = src.find("{{", pos)
            if i < 0:
                if pos < len(src):
                    self.emit(_TEXT, pos, len(src))
                break
            # "{{- " trims the text before it; "{{-3}}" is the number -3.
            trim = src[i + 2 : i + 3] == "-" and src[i + 3 : i + 4] in tuple(_SPACE)
            end = i
            if trim:
                while end > pos and src[end - 1] in _SPACE:
                    end -= 1
            if end > pos:
                self.emit(_TEXT, pos, end)
            start = i + 4 if trim else i + 2
            if src.startswith("/*", start):
                pos = self.comment(i, start)
                continue
            self.toks.append(_Tok(_LEFT, "{{", i, self.line_at(i)))
            pos = self.action(start)

    def right_delim(self, pos: int) -> int:
        """Length of the right delimiter (with trim marker) at pos, or 0."""
        src = self.src
        if src.startswith("}}", pos):
            return 2
        if src[pos : pos + 1] in tuple(_SPACE) and src.startswith("-}}", pos + 1):
            return 4
        return 0

    def after_right(self, pos: int, n: int) -> int:
        pos += n
        if n == 4:
            while pos < len(self.src) and self.src[pos] in _SPACE:
                pos += 1
        return pos

    def comment(self, left: int, start: int) -> int:
        close = self.src.find("*/", start + 2)
        if close < 0:
            raise self.fail("unclosed comment", left)
        n = self.right_delim(close + 2)
        if n == 0:
            raise self.fail("comment ends before closing delimiter", left)
        return self.after_right(close + 2, n)

    def action(self, pos: int) -> int:
        src = self.src
        while True:
            n = self.right_delim(pos)
            if n and self.paren == 0:
                self.toks.append(_Tok(_RIGHT, "}}", pos, self.line_at(pos)))
                return self.after_right(pos, n)
            if pos >= len(src):
                raise self.fail("unclosed action", pos)
            c = src[pos]
            if c in _SPACE:
                end = pos
                while end < len(src) and src[end] in _SPACE and not self.right_delim(end):
                    end += 1
                if end == pos:  # a space that begins " -}}" while inside parentheses
                    end += 1
                self.emit(_SPACE_T, pos, end)
                pos = end
            elif n:
                raise self.fail("unclosed left paren", pos)
            else:
                pos = self.token(pos, c)

    def token(self, pos: int, c: str) -> int:
        src = self.src
        single = {"|": _PIPE, "=": _ASSIGN, ",": _CHAR}
        if c in single:
            self.emit(single[c], pos, pos + 1)
            return pos + 1
        if c == ":":
            if src[pos + 1 : pos + 2] != "=":
                raise self.fail("expected :=", pos)
            self.emit(_DECLARE, pos, pos + 2)
            return pos + 2
        if c == "(":
            self.paren += 1
            self.emit(_LPAREN, pos, pos + 1)
            return pos + 1
        if c == ")":
            self.paren -= 1
            self.emit(_RPAREN, pos, pos + 1)
            return pos + 1
        if c in "\"'":
            return self.quoted(pos, c)
        if c == "`":
            end = src.find("`", pos + 1)
            if end < 0:
                raise self.fail("unterminated raw quoted string", pos)
            self.emit(_RAW, pos, end + 1)
            return end + 1
        if c == "$":
            return self.word(pos, pos + 1, _VAR)
        if c == "." and not src[pos + 1 : pos + 2].isdigit():
            return self.word(pos, pos + 1, _FIELD)
        if c in "+-." or c.isdigit():
            return self.number(pos)
        if _is_alnum(c):
            return self.word(pos, pos, _IDENT)
        if c.isascii() and c.isprintable():
            self.emit(_CHAR, pos, pos + 1)
            return pos + 1
        raise self.fail(f"unrecognized character in action: {_go_rune(c)}", pos)

    def at_terminator(self, pos: int) -> bool:
        c = self.src[pos : pos + 1]
        return c == "" or c in _SPACE or c in ".,|:()" or self.right_delim(pos) > 0

    def word(self, start: int, pos: int, kind: int) -> int:
        src = self.src
        while pos < len(src) and _is_alnum(src[pos]):
            pos += 1
        if not self.at_terminator(pos):
            raise self.fail(f"bad character {_go_rune(src[pos])}", pos)
        text = src[start:pos]
        if kind == _FIELD and text == ".":
            kind = _DOT
        elif kind == _IDENT:
            if text in _KEYWORDS:
                kind = _KEYWORD
            elif text in ("true", "false"):
                kind = _BOOL
            elif text == "nil":
                kind = _NIL
        self.emit(kind, start, pos)
        return pos

    def quoted(self, start: int, q: str) -> int:
        src, pos = self.src, start + 1
        while True:
            c = src[pos : pos + 1]
            if c == "\\":
                pos += 2
                continue
            if c in ("", "\n"):
                what = "quoted string" if q == '"' else "character constant"
                raise self.fail(f"unterminated {what}", start)
            pos += 1
            if c == q:
                break
        self.emit(_STRING if q == '"' else _CHARCONST, start, pos)
        return pos

    def number(self, start: int) -> int:
        src, pos = self.src, start
        if src[pos] in "+-":
            pos += 1
        digits = "0123456789_"
        if src.startswith(("0x", "0X"), pos):
            digits, pos = "0123456789abcdefABCDEF_", pos + 2
        elif src.startswith(("0o", "0O"), pos):
            digits, pos = "01234567_", pos + 2
        elif src.startswith(("0b", "0B"), pos):
            digits, pos = "01_", pos + 2
        while pos < len(src) and src[pos] in digits + ".":
            pos += 1
        if src[pos : pos + 1] in ("e", "E", "p", "P") and pos < len(src):
            pos += 1
            if src[pos : pos + 1] in ("+", "-"):
                pos += 1
            while pos < len(src) and src[pos] in "0123456789_":
                pos += 1
        if pos < len(src) and _is_alnum(src[pos]):
            raise self.fail(f'bad number syntax: "{src[start : pos + 1]}"', start)
        self.emit(_NUMBER, start, pos)
        return pos


# ---------------------------------------------------------------------------------------------
# Parse tree. Plain classes with __slots__: dataclasses would import `re` and `inspect`.


class _Node:
    __slots__ = ("pos",)
    text = ""

    def __init__(self, pos: int) -> None:
        self.pos = pos

    def __str__(self) -> str:
        return self.text


class _Text(_Node):
    __slots__ = ("value",)

    def __init__(self, pos: int, value: str) -> None:
        super().__init__(pos)
        self.value = value


class _Field(_Node):
    __slots__ = ("idents",)

    def __init__(self, pos: int, idents: list[str]) -> None:
        super().__init__(pos)
        self.idents = idents

    def __str__(self) -> str:
        return "".join("." + i for i in self.idents)


class _Variable(_Node):
    __slots__ = ("idents",)

    def __init__(self, pos: int, idents: list[str]) -> None:
        super().__init__(pos)
        self.idents = idents

    def __str__(self) -> str:
        return ".".join(self.idents)


class _Chain(_Node):
    __slots__ = ("fields", "node")

    def __init__(self, pos: int, node: _Node, fields: list[str]) -> None:
        super().__init__(pos)
        self.node, self.fields = node, fields

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, _Pipe) else str(self.node)
        return inner + "".join("." + f for f in self.fields)


class _Ident(_Node):
    __slots__ = ("name",)

    def __init__(self, pos: int, name: str) -> None:
        super().__init__(pos)
        self.name = name

    def __str__(self) -> str:
        return self.name


class _Const(_Node):
    """dot, nil, bool, number, string: `value` is what it evaluates to."""

    __slots__ = ("kind", "source", "value")

    def __init__(self, pos: int, kind: int, value: object, source: str) -> None:
        super().__init__(pos)
        self.kind, self.value, self.source = kind, value, source

    def __str__(self) -> str:
        return self.source


class _Command(_Node):
    __slots__ = ("args",)

    def __init__(self, pos: int) -> None:
        super().__init__(pos)
        self.args: list[_Node] = []

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, _Pipe) else str(a) for a in self.args)


class _Pipe(_Node):
    __slots__ = ("assign", "cmds", "decl")

    def __init__(self, pos: int, decl: list[str], assign: bool) -> None:
        super().__init__(pos)
        self.decl, self.assign = decl, assign
        self.cmds: list[_Command] = []

    def __str__(self) -> str:
        head = ""
        if self.decl:
            head = ", ".join(self.decl) + (" = " if self.assign else " := ")
        return head + " | ".join(str(c) for c in self.cmds)


class _Action(_Node):
    __slots__ = ("pipe",)

    def __init__(self, pos: int, pipe: _Pipe) -> None:
        super().__init__(pos)
        self.pipe = pipe

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


class _Control(_Node):
    """if / with / range, told apart by `keyword`."""

    __slots__ = ("body", "else_body", "keyword", "pipe")

    def __init__(self, pos: int, keyword: str, pipe: _Pipe) -> None:
        super().__init__(pos)
        self.keyword, self.pipe = keyword, pipe
        self.body: list[_Node] = []
        self.else_body: list[_Node] | None = None

    def __str__(self) -> str:
        return "{{" + self.keyword + " " + str(self.pipe) + "}}"


class _Jump(_Node):
    """{{break}} or {{continue}}."""

    __slots__ = ("keyword",)

    def __init__(self, pos: int, keyword: str) -> None:
        super().__init__(pos)
        self.keyword = keyword


class _End(_Node):
    __slots__ = ("keyword",)

    def __init__(self, pos: int, keyword: str) -> None:
        super().__init__(pos)
        self.keyword = keyword


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, src: str, funcs: dict[str, _Func]) -> None:
        self.lex = _Lexer(src)
        self.toks = self.lex.run()
        self.i = 0
        self.funcs = funcs
        self.vars = ["$"]
        self.range_depth = 0
        self.action_line = 0

    def fail(self, msg: str, tok: _Tok | None = None) -> TemplateError:
        line = (tok or self.toks[max(self.i - 1, 0)]).line
        return TemplateError(f"template: :{line}: {msg}")

    def next(self) -> _Tok:
        t = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def backup(self) -> None:
        self.i -= 1

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def next_nonspace(self) -> _Tok:
        t = self.next()
        while t.kind == _SPACE_T:
            t = self.next()
        return t

    def peek_nonspace(self) -> _Tok:
        t = self.next_nonspace()
        self.backup()
        return t

    def unexpected(self, tok: _Tok, context: str) -> TemplateError:
        if tok.kind == _ERROR:
            # A lexing error surfaces where the parser meets it, as in Go.
            extra = ""
            if self.action_line and self.action_line != tok.line:
                extra = f" in action started at :{self.action_line}"
                if tok.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            return self.fail(tok.val + extra, tok)
        return self.fail(f"unexpected {tok.describe()} in {context}", tok)

    def expect(self, kind: int, context: str) -> _Tok:
        t = self.next_nonspace()
        if t.kind != kind:
            raise self.unexpected(t, context)
        return t

    def parse(self) -> list[_Node]:
        out: list[_Node] = []
        while self.peek().kind != _EOF:
            n = self.text_or_action()
            if isinstance(n, _End):
                raise self.fail(f"unexpected {{{{{n.keyword.split()[0]}}}}}")
            out.append(n)
        return out

    def item_list(self) -> tuple[list[_Node], _End]:
        out: list[_Node] = []
        while self.peek_nonspace().kind != _EOF:
            n = self.text_or_action()
            if isinstance(n, _End):
                return out, n
            out.append(n)
        raise self.fail("unexpected EOF", self.peek())

    def text_or_action(self) -> _Node:
        t = self.next_nonspace()
        if t.kind == _TEXT:
            return _Text(t.pos, t.val)
        if t.kind == _LEFT:
            self.action_line = t.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(t, "input")

    def action(self) -> _Node:
        t = self.next_nonspace()
        if t.kind == _KEYWORD:
            kw = t.val
            if kw in ("if", "with", "range"):
                return self.control(kw, t)
            if kw == "end":
                self.expect(_RIGHT, "end")
                return _End(t.pos, "end")
            if kw == "else":
                return self.else_action(t)
            if kw in ("break", "continue"):
                self.expect(_RIGHT, f"{{{{{kw}}}}}")
                if self.range_depth == 0:
                    raise self.fail(f"{{{{{kw}}}}} outside {{{{range}}}}", t)
                return _Jump(t.pos, kw)
            raise self.fail(f"{{{{{kw}}}}} is not supported by scopebox", t)
        self.backup()
        return _Action(t.pos, self.pipeline("command", _RIGHT))

    def else_action(self, t: _Tok) -> _End:
        nxt = self.peek_nonspace()
        if nxt.kind == _KEYWORD and nxt.val in ("if", "with"):
            # "{{else if x}}" is shorthand for "{{else}}{{if x}}...{{end}}{{end}}".
            return _End(t.pos, "else " + nxt.val)
        self.expect(_RIGHT, "else")
        return _End(t.pos, "else")

    def control(self, kw: str, t: _Tok) -> _Control:
        mark = len(self.vars)
        node = _Control(t.pos, kw, self.pipeline(kw, _RIGHT))
        if kw == "range":
            self.range_depth += 1
        node.body, end = self.item_list()
        if kw == "range":
            self.range_depth -= 1
        if end.keyword == f"else {kw}" and kw != "range":
            self.next_nonspace()  # the nested keyword; its {{end}} closes us as well
            node.else_body = [self.control(kw, self.toks[self.i - 1])]
        elif end.keyword.startswith("else"):
            if end.keyword != "else":
                raise self.fail(f"unexpected <{end.keyword[5:]}> in else")
            node.else_body, end = self.item_list()
            if end.keyword != "end":
                raise self.fail(f"expected end; found {{{{{end.keyword}}}}}")
        del self.vars[mark:]
        return node

    def pipeline(self, context: str, end: int) -> _Pipe:
        first = self.peek_nonspace()
        decl, assign = self.declarations(context)
        pipe = _Pipe(first.pos, decl, assign)
        while True:
            t = self.next_nonspace()
            if t.kind == end:
                if not pipe.cmds:
                    raise self.fail(f"missing value for {context}", t)
                break
            if t.kind in (
                _BOOL,
                _CHARCONST,
                _DOT,
                _FIELD,
                _IDENT,
                _NUMBER,
                _NIL,
                _RAW,
                _STRING,
                _VAR,
                _LPAREN,
            ):
                self.backup()
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(t, context)
        for i, cmd in enumerate(pipe.cmds[1:], start=1):
            if isinstance(cmd.args[0], _Const) and cmd.args[0].kind != _NIL:
                raise self.fail(f"non executable command in pipeline stage {i + 1}")
        return pipe

    def declarations(self, context: str) -> tuple[list[str], bool]:
        decl: list[str] = []
        start = self.i
        while True:
            v = self.next_nonspace()
            if v.kind != _VAR:
                break
            nxt = self.next_nonspace()
            if nxt.kind in (_DECLARE, _ASSIGN):
                decl.append(v.val)
                self.vars.append(v.val)
                return decl, nxt.kind == _ASSIGN
            if nxt.kind == _CHAR and nxt.val == "," and context == "range" and not decl:
                decl.append(v.val)
                self.vars.append(v.val)
                continue
            if nxt.kind == _CHAR and nxt.val == ",":
                raise self.fail(f"too many declarations in {context}", nxt)
            break
        if decl:
            raise self.fail(f"missing := after variable list in {context}")
        self.i = start
        return [], False

    def command(self) -> _Command:
        cmd = _Command(self.peek_nonspace().pos)
        while True:
            self.peek_nonspace()
            op = self.operand()
            if op is not None:
                cmd.args.append(op)
            t = self.next()
            if t.kind == _SPACE_T:
                continue
            if t.kind in (_RIGHT, _RPAREN):
                self.backup()
            elif t.kind != _PIPE:
                raise self.unexpected(t, "operand")
            break
        if not cmd.args:
            raise self.fail("empty command")
        return cmd

    def operand(self) -> _Node | None:
        node = self.term()
        if node is None or self.peek().kind != _FIELD:
            return node
        # Go positions a chained node at its first trailing field; error columns follow that.
        pos = self.peek().pos
        fields = []
        while self.peek().kind == _FIELD:
            fields.append(self.next().val[1:])
        if isinstance(node, _Field):
            return _Field(pos, node.idents + fields)
        if isinstance(node, _Variable):
            return _Variable(pos, node.idents + fields)
        if isinstance(node, _Const):
            raise self.fail(f"unexpected . after term {_go_quote(str(node))}")
        return _Chain(pos, node, fields)

    def term(self) -> _Node | None:
        t = self.next_nonspace()
        k = t.kind
        if k == _IDENT:
            if t.val not in self.funcs:
                raise self.fail(f"function {_go_quote(t.val)} not defined", t)
            return _Ident(t.pos, t.val)
        if k == _DOT:
            return _Const(t.pos, _DOT, None, ".")
        if k == _NIL:
            return _Const(t.pos, _NIL, None, "nil")
        if k == _BOOL:
            return _Const(t.pos, _BOOL, t.val == "true", t.val)
        if k == _VAR:
            if t.val not in self.vars:
                raise self.fail(f"undefined variable {_go_quote(t.val)}", t)
            return _Variable(t.pos, [t.val])
        if k == _FIELD:
            return _Field(t.pos, [t.val[1:]])
        if k in (_NUMBER, _CHARCONST):
            return _Const(t.pos, _NUMBER, self.number(t), t.val)
        if k == _STRING:
            return _Const(t.pos, _STRING, self.unquote(t), t.val)
        if k == _RAW:
            return _Const(t.pos, _STRING, t.val[1:-1].replace("\r", ""), t.val)
        if k == _LPAREN:
            pipe = self.pipeline("parenthesized pipeline", _RPAREN)
            pipe.pos = t.pos
            return pipe
        self.backup()
        return None

    def unquote(self, t: _Tok) -> str:
        try:
            return _unescape(t.val[1:-1])
        except ValueError:
            raise self.fail(f"invalid syntax: {t.val}", t) from None

    def number(self, t: _Tok) -> int | float:
        text = t.val
        if t.kind == _CHARCONST:
            try:
                s = _unescape(text[1:-1])
            except ValueError:
                s = ""
            if len(s) != 1:
                raise self.fail(f"malformed character constant: {text}", t)
            return ord(s)
        try:
            if text.lstrip("+-")[:2].lower() in ("0x", "0o", "0b") or not any(
                c in text for c in ".eEpP"
            ):
                return int(text.replace("_", ""), 0)
            return float(text.replace("_", ""))
        except ValueError:
            raise self.fail(f"illegal number syntax: {_go_quote(text)}", t) from None


_ESCAPES: Final = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


def _unescape(body: str) -> str:
    """Go's strconv.Unquote for the inside of a "..." or '...' literal."""
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1 : i + 2]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e in ("x", "u", "U"):
            n = {"x": 2, "u": 4, "U": 8}[e]
            out.append(chr(int(body[i + 2 : i + 2 + n], 16)))
            i += 2 + n
        elif e.isdigit():
            out.append(chr(int(body[i + 1 : i + 4], 8)))
            i += 4
        else:
            raise ValueError(body)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Go's printing rules


def _go_quote(s: str) -> str:
    """strconv.Quote."""
    out = ['"']
    for c in s:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif c == "\r":
            out.append("\\r")
        elif c.isprintable() or c == " ":
            out.append(c)
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)


def _go_rune(c: str) -> str:
    """fmt's %#U: U+0023 '#'."""
    return f"U+{ord(c):04X} '{c}'" if c.isprintable() else f"U+{ord(c):04X}"


def _shortest(f: float) -> tuple[str, int]:
    """Shortest round-trip digits of |f| and the decimal point position: 0.DIGITS x 10**dp."""
    mant, _, exp = repr(abs(f)).partition("e")
    whole, _, frac = mant.partition(".")
    ds = whole + frac
    stripped = ds.lstrip("0")
    dp = len(whole) + (int(exp) if exp else 0) - (len(ds) - len(stripped))
    return stripped.rstrip("0") or "0", dp


def _go_float(f: float, exp_threshold: int = 6, json: bool = False) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64) (`%v`), or encoding/json's float style."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if str(f).startswith("-") else "0"
    sign = "-" if f < 0 else ""
    digits, dp = _shortest(f)
    exp = dp - 1
    # encoding/json switches to exponents outside [1e-6, 1e21); %v when exp < -4 or >= 6.
    use_exp = not (1e-6 <= abs(f) < 1e21) if json else (exp < -4 or exp >= exp_threshold)
    if use_exp:
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        es = "-" if exp < 0 else "+"
        e = str(abs(exp))
        if not json and len(e) < 2:
            e = "0" + e
        return f"{sign}{mant}e{es}{e}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def go_sprint(v: object, nested: bool = False) -> str:
    """fmt's %v for JSON-shaped data (maps with sorted keys, like Go).

    MISSING prints as the template engine does (`<no value>`); None, and MISSING inside a
    list or map, print as fmt does (`<nil>`).
    """
    if v is None or v is MISSING:
        return "<nil>" if nested or v is None else "<no value>"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v, 6)
    if isinstance(v, GoStruct):
        return "{" + " ".join(go_sprint(e, True) for e in v.values()) + "}"
    if isinstance(v, dict):
        items = " ".join(f"{go_sprint(k, True)}:{go_sprint(v[k], True)}" for k in _sorted_keys(v))
        return f"map[{items}]"
    if isinstance(v, list | tuple):
        return "[" + " ".join(go_sprint(e, True) for e in v) + "]"
    return str(v)


def _sorted_keys(d: dict[Any, Any]) -> list[Any]:
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _go_type(v: object) -> str:
    if v is None or v is MISSING:
        return "<nil>"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, list | tuple):
        return "[]interface {}"
    return type(v).__name__


def _json_str(s: str, escape_html: bool) -> str:
    out = ['"']
    for c in s:
        o = ord(c)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif o < 0x20:
            short = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}.get(c)
            out.append(short or f"\\u{o:04x}")
        elif o in (0x2028, 0x2029) or (escape_html and c in "<>&"):
            out.append(f"\\u{o:04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def go_json(v: object, escape_html: bool = False, sort_keys: bool = False) -> str:
    """Compact encoding/json output (docker's `json` function disables HTML escaping).

    Go sorts map keys but keeps a struct's field order; dicts keep their order unless
    `sort_keys` (docker's ps and images rows are maps, inspect objects are structs).
    """
    if v is None or v is MISSING:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _json_str(v, escape_html)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise TemplateError(f"json: unsupported value: {_go_float(v)}")
        return _go_float(v, json=True)
    if isinstance(v, dict):
        keys = _sorted_keys(v) if sort_keys else list(v)
        body = ",".join(
            f"{_json_str(str(k), escape_html)}:{go_json(v[k], escape_html, sort_keys)}"
            for k in keys
        )
        return "{" + body + "}"
    if isinstance(v, list | tuple):
        return "[" + ",".join(go_json(e, escape_html, sort_keys) for e in v) + "]"
    raise TemplateError(f"json: unsupported type: {type(v).__name__}")


# ---------------------------------------------------------------------------------------------
# printf: the verbs that make sense for JSON-shaped data


def _sprintf(fmt: str, args: list[object]) -> str:
    out: list[str] = []
    i, argi, n = 0, 0, len(fmt)
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        i = j + 1
        flags = ""
        while i < n and fmt[i] in "-+# 0":
            flags += fmt[i]
            i += 1
        width = ""
        while i < n and fmt[i].isdigit():
            width += fmt[i]
            i += 1
        prec: str | None = None
        if i < n and fmt[i] == ".":
            i += 1
            prec = ""
            while i < n and fmt[i].isdigit():
                prec += fmt[i]
                i += 1
        if i >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        out.append(_fmt_arg(verb, flags, width, prec, args[argi]))
        argi += 1
    if argi < len(args):
        extra = ", ".join(f"{_go_type(a)}={go_sprint(a, True)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _fmt_arg(verb: str, flags: str, width: str, prec: str | None, arg: object) -> str:
    if isinstance(arg, list | tuple):  # fmt applies verb and width to each element
        return "[" + " ".join(_fmt_arg(verb, flags, width, prec, e) for e in arg) + "]"
    try:
        return _pad(_fmt_one(verb, flags, prec, arg), flags, width, verb, arg)
    except _BadVerb:
        if arg is None:
            return f"%!{verb}(<nil>)"
        # fmt prints the operand with %v and the same width: "%!d(string= SIZE)".
        inner = _pad(go_sprint(arg, True), flags, width, "v", arg)
        return f"%!{verb}({_go_type(arg)}={inner})"


def _pad(s: str, flags: str, width: str, verb: str, arg: object) -> str:
    if not width or len(s) >= int(width):
        return s
    w = int(width)
    if "-" in flags:
        return s.ljust(w)
    numeric = isinstance(arg, int | float) and not isinstance(arg, bool)
    if "0" in flags and numeric and verb in "dfegxXvob":
        sign = s[0] if s[:1] in "+-" else ""
        return sign + s[len(sign) :].rjust(w - len(sign), "0")
    return s.rjust(w)


class _BadVerb(Exception):
    """The verb does not fit the operand; _sprintf writes Go's %!verb(type=value)."""


def _bad_verb(verb: str, arg: object) -> str:
    raise _BadVerb


def _fmt_one(verb: str, flags: str, prec: str | None, arg: object) -> str:
    if verb == "v":
        if isinstance(arg, float):
            return _fmt_float("g", flags, prec, arg)
        if isinstance(arg, int) and not isinstance(arg, bool) and "+" in flags:
            return f"{arg:+d}"
        return go_sprint(arg, True)
    if verb == "s":
        if isinstance(arg, str):
            return arg if prec is None else arg[: int(prec or 0)]
        if isinstance(arg, dict):
            return go_sprint(arg, True)
        return _bad_verb(verb, arg)
    if verb == "q":
        if isinstance(arg, str):
            return _go_quote(arg)
        if isinstance(arg, int) and not isinstance(arg, bool):
            return "'" + _go_quote(chr(arg))[1:-1].replace('\\"', '"') + "'"
        return _bad_verb(verb, arg)
    if verb == "T":
        return _go_type(arg)
    if verb == "t":
        return go_sprint(arg) if isinstance(arg, bool) else _bad_verb(verb, arg)
    if isinstance(arg, bool) or arg is None:
        return _bad_verb(verb, arg)
    if isinstance(arg, int):
        return _fmt_int(verb, flags, arg)
    if isinstance(arg, float) and verb in "feEgG":
        return _fmt_float(verb, flags, prec, arg)
    if isinstance(arg, str) and verb in "xX":
        h = arg.encode().hex()
        return h.upper() if verb == "X" else h
    return _bad_verb(verb, arg)


def _fmt_int(verb: str, flags: str, arg: int) -> str:
    spec = {"d": "d", "x": "x", "X": "X", "o": "o", "b": "b"}.get(verb)
    if verb == "c":
        return chr(arg)
    if spec is None:
        return _bad_verb(verb, arg)
    sign = "+" if "+" in flags else ""
    return format(arg, sign + spec)


def _fmt_float(verb: str, flags: str, prec: str | None, arg: float) -> str:
    sign = "+" if "+" in flags and arg >= 0 else ""
    if verb in "gG" and prec is None:
        s = sign + _go_float(arg, 6)
        return s.upper() if verb == "G" else s
    p = 6 if prec is None else int(prec or 0)
    if verb in "eE":
        s = format(arg, f".{p}{verb}")
        return sign + s
    if verb in "gG":
        return sign + format(arg, f".{p}{verb}")
    return sign + format(arg, f".{p}f")


# ---------------------------------------------------------------------------------------------
# Functions


class _Func:
    """A template function. `params` are Go parameter types, the last may be variadic ('...')."""

    __slots__ = ("call", "lazy", "params", "variadic")

    def __init__(
        self,
        call: Callable[..., object],
        params: tuple[str, ...],
        variadic: bool = False,
        lazy: bool = False,
    ) -> None:
        self.call, self.params, self.variadic, self.lazy = call, params, variadic, lazy


class _CallError(Exception):
    """Raised by a template function; reported as Go's `error calling NAME: ...`."""


def _truth(v: object) -> bool:
    if v is None or v is MISSING:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return v != 0
    if isinstance(v, str | list | tuple | dict):
        return len(v) > 0
    return True


def _kind(v: object) -> str:
    if v is None or v is MISSING:
        return "invalid"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    return "other"


def _eq(a: object, *rest: object) -> bool:
    if not rest:
        raise _CallError("missing argument for comparison")
    ka = _kind(a)
    for b in rest:
        kb = _kind(b)
        if ka != kb:
            if ka != "invalid" and kb != "invalid":
                raise _CallError("incompatible types for comparison")
            continue
        if ka == "other":
            raise _CallError(f"non-comparable type {go_sprint(a, True)}: {_go_type(a)}")
        if a == b or ka == "invalid":
            return True
    return False


def _ne(a: object, b: object) -> bool:
    return not _eq(a, b)


def _lt(a: object, b: object) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka in ("invalid", "other", "bool") or kb in ("invalid", "other", "bool"):
        raise _CallError("invalid type for comparison")
    if ka != kb:
        raise _CallError("incompatible types for comparison")
    return bool(a < b)  # type: ignore[operator]


def _le(a: object, b: object) -> bool:
    return _lt(a, b) or _eq(a, b)


def _gt(a: object, b: object) -> bool:
    return not _le(a, b)


def _ge(a: object, b: object) -> bool:
    return not _lt(a, b)


def _len(v: object) -> int:
    if isinstance(v, str):
        return len(v.encode())  # Go's len counts bytes
    if isinstance(v, list | tuple | dict):
        return len(v)
    if v is None or v is MISSING:
        raise _CallError("len of nil pointer")
    raise _CallError(f"len of type {_go_type(v)}")


def _elem_zero(d: dict[Any, Any]) -> object:
    # Docker's structs type labels and similar as map[string]string, where a missing key
    # indexes to "" (not <no value>); all-string dicts stand in for that type.
    return "" if all(isinstance(e, str) for e in d.values()) else None


def _index(item: object, *keys: object) -> object:
    if item is None or item is MISSING:
        raise _CallError("index of untyped nil")
    for k in keys:
        if isinstance(item, dict):
            if not isinstance(k, str):
                raise _CallError(f"value has type {_go_type(k)}; should be string")
            item = item[k] if k in item else _elem_zero(item)
        elif isinstance(item, list | tuple | str):
            if not isinstance(k, int) or isinstance(k, bool):
                raise _CallError(f"cannot index slice/array with type {_go_type(k)}")
            if not 0 <= k < len(item):
                raise _CallError(f"index out of range: {k}")
            item = item[k] if not isinstance(item, str) else item.encode()[k]
        elif item is None or item is MISSING:
            raise _CallError("index of untyped nil")
        else:
            raise _CallError(f"can't index item of type {_go_type(item)}")
    return item


def _slice(item: object, *idx: object) -> object:
    if not isinstance(item, str | list | tuple):
        raise _CallError(f"can't slice item of type {_go_type(item)}")
    if len(idx) > (2 if isinstance(item, str) else 3):
        raise _CallError(f"too many slice indexes: {len(idx)}")
    bounds: list[int] = []
    for i in idx:
        if not isinstance(i, int) or isinstance(i, bool):
            raise _CallError(f"cannot index slice/array with type {_go_type(i)}")
        bounds.append(i)
    lo = bounds[0] if bounds else 0
    hi = bounds[1] if len(bounds) > 1 else len(item)
    if not 0 <= lo <= hi <= len(item):
        raise _CallError(
            f"invalid slice index: {lo} > {hi}" if lo > hi else f"index out of range: {hi}"
        )
    return item[lo:hi]


def _sprint(*args: object) -> str:
    out: list[str] = []
    for i, a in enumerate(args):
        # fmt.Sprint: a space between operands when neither is a string.
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(go_sprint(a, True))
    return "".join(out)


def _sprintln(*args: object) -> str:
    return " ".join(go_sprint(a, True) for a in args) + "\n"


def _printf(fmt: object, *args: object) -> str:
    return _sprintf(str(fmt), list(args))


def _eval_args_str(args: tuple[object, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return _sprint(*args)


def _html(*args: object) -> str:
    s = _eval_args_str(args)
    table = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd"}
    return "".join(table.get(c, c) for c in s)


def _urlquery(*args: object) -> str:
    from urllib.parse import quote_plus  # lazy: rarely used

    return quote_plus(_eval_args_str(args), safe="")


def _title(s: str) -> str:
    # strings.Title (deprecated, but docker's): ASCII other than letters, digits and "_"
    # separates words; beyond ASCII only white space does.
    out: list[str] = []
    sep = True
    for c in s:
        out.append(c.upper() if sep else c)
        sep = not (c.isalnum() or c == "_") if c.isascii() else c.isspace()
    return "".join(out)


def _pad_fn(s: str, before: int, after: int) -> str:
    if s and (before < 0 or after < 0):
        raise _CallError("strings: negative Repeat count")
    return s if s == "" else " " * before + s + " " * after


def _truncate(s: str, n: int) -> str:
    if n < 0:
        raise _CallError(f"runtime error: slice bounds out of range [:{n}]")
    b = s.encode()
    return s if len(b) < n else b[:n].decode(errors="ignore")


def _split(s: str, sep: str) -> list[str]:
    if sep == "":
        return list(s)
    return s.split(sep)


def _join(items: list[str], sep: str) -> str:
    return sep.join(items)


def _and(*thunks: Callable[[], object]) -> object:
    v: object = MISSING
    for t in thunks:
        v = t()
        if not _truth(v):
            return v
    return v


def _or(*thunks: Callable[[], object]) -> object:
    v: object = MISSING
    for t in thunks:
        v = t()
        if _truth(v):
            return v
    return v


def _not(v: object) -> bool:
    return not _truth(v)


def _json_fn(v: object) -> str:
    return go_json(v)


def _json_sorted_fn(v: object) -> str:
    return go_json(v, sort_keys=True)


BUILTINS: Final[dict[str, _Func]] = {
    "and": _Func(_and, ("any", "any"), variadic=True, lazy=True),
    "or": _Func(_or, ("any", "any"), variadic=True, lazy=True),
    "not": _Func(_not, ("any",)),
    "len": _Func(_len, ("any",)),
    "index": _Func(_index, ("any", "any"), variadic=True),
    "slice": _Func(_slice, ("any", "any"), variadic=True),
    "print": _Func(_sprint, ("any",), variadic=True),
    "println": _Func(_sprintln, ("any",), variadic=True),
    "printf": _Func(_printf, ("string", "any"), variadic=True),
    "html": _Func(_html, ("any",), variadic=True),
    "urlquery": _Func(_urlquery, ("any",), variadic=True),
    "eq": _Func(_eq, ("any", "any"), variadic=True),
    "ne": _Func(_ne, ("any", "any")),
    "lt": _Func(_lt, ("any", "any")),
    "le": _Func(_le, ("any", "any")),
    "gt": _Func(_gt, ("any", "any")),
    "ge": _Func(_ge, ("any", "any")),
    # docker/cli templates.basicFunctions
    "json": _Func(_json_fn, ("any",)),
    "split": _Func(_split, ("string", "string")),
    "join": _Func(_join, ("[]string", "string")),
    "title": _Func(_title, ("string",)),
    "lower": _Func(str.lower, ("string",)),
    "upper": _Func(str.upper, ("string",)),
    "pad": _Func(_pad_fn, ("string", "int", "int")),
    "truncate": _Func(_truncate, ("string", "int")),
}


# For rows that docker builds as Go maps (ps, images): `json` sorts keys like Go does.
BUILTINS_SORTED_JSON: Final = {**BUILTINS, "json": _Func(_json_sorted_fn, ("any",))}



# ---------------------------------------------------------------------------------------------
# Execution


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Exec:
    def __init__(self, tmpl: Template, funcs: dict[str, _Func], root: object) -> None:
        self.tmpl = tmpl
        self.funcs = funcs
        self.vars: list[tuple[str, object]] = [("$", root)]
        self.out: list[str] = []
        self.node: _Node | None = None
        # Inside {{range}} dot is an element of interface type; Go names it so in errors.
        self.iface_dot = False

    def fail(self, msg: str) -> TemplateError:
        node = self.node
        src = self.tmpl.source
        if node is None:
            return TemplateError(f'template: : executing "" : {msg}')
        before = src[: node.pos]
        line = 1 + before.count("\n")
        col = len(before) - (before.rfind("\n") + 1)
        ctx = str(node)
        if len(ctx) > 20:
            ctx = ctx[:20] + "..."
        return TemplateError(f'template: :{line}:{col}: executing "" at <{ctx}>: {msg}')

    def walk(self, dot: object, nodes: list[_Node]) -> None:
        for n in nodes:
            if isinstance(n, _Text):
                self.out.append(n.value)
            elif isinstance(n, _Action):
                v = self.pipeline(dot, n.pipe)
                if not n.pipe.decl:
                    self.node = n
                    self.out.append(go_sprint(v))
            elif isinstance(n, _Control):
                self.control(dot, n)
            elif isinstance(n, _Jump):
                raise _Break if n.keyword == "break" else _Continue

    def control(self, dot: object, n: _Control) -> None:
        mark = len(self.vars)
        try:
            if n.keyword == "range":
                self.range(dot, n)
                return
            v = self.pipeline(dot, n.pipe)
            if _truth(v) and n.keyword == "with":
                saved, self.iface_dot = self.iface_dot, False
                self.walk(v, n.body)
                self.iface_dot = saved
            elif _truth(v):
                self.walk(dot, n.body)
            elif n.else_body is not None:
                self.walk(dot, n.else_body)
        finally:
            del self.vars[mark:]

    def range(self, dot: object, n: _Control) -> None:
        v = self.pipeline(dot, n.pipe)
        items: list[tuple[object, object]]
        if isinstance(v, dict):
            items = [(k, v[k]) for k in _sorted_keys(v)]
        elif isinstance(v, list | tuple):
            items = list(enumerate(v))
        elif isinstance(v, int) and not isinstance(v, bool):
            if len(n.pipe.decl) > 1:  # Go 1.22 ranges over an int, with one variable only
                raise self.fail(f"can't use {v} to iterate over more than one variable")
            items = [(i, i) for i in range(v)]
        elif v is None or v is MISSING:
            items = []
        else:
            raise self.fail(f"range can't iterate over {go_sprint(v, True)}")
        mark = len(self.vars)
        saved, self.iface_dot = self.iface_dot, True
        for key, elem in items:
            if n.pipe.decl:
                self.set_top(1, elem)
                if len(n.pipe.decl) > 1:
                    self.set_top(2, key)
            try:
                self.walk(elem, n.body)
            except _Continue:
                pass
            except _Break:
                break
            finally:
                del self.vars[mark:]
        self.iface_dot = saved
        if not items and n.else_body is not None:
            self.walk(dot, n.else_body)

    def set_top(self, n: int, value: object) -> None:
        name = self.vars[-n][0]
        self.vars[-n] = (name, value)

    def var(self, name: str) -> object:
        for k, v in reversed(self.vars):
            if k == name:
                return v
        raise self.fail(f"undefined variable: {name}")

    def pipeline(self, dot: object, pipe: _Pipe) -> object:
        value: object = _NOFINAL
        for cmd in pipe.cmds:
            value = self.command(dot, cmd, value)
            if value is None:  # Go turns a nil interface{} result into an invalid value
                value = MISSING
        for name in pipe.decl:
            if pipe.assign:
                for i in range(len(self.vars) - 1, -1, -1):
                    if self.vars[i][0] == name:
                        self.vars[i] = (name, value)
                        break
                else:
                    raise self.fail(f"undefined variable: {name}")
            else:
                self.vars.append((name, value))
        return value

    def command(self, dot: object, cmd: _Command, final: object) -> object:
        first = cmd.args[0]
        self.node = first
        if isinstance(first, _Field):
            return self.field_chain(dot, first.idents, cmd.args, final, typed=not self.iface_dot)
        if isinstance(first, _Chain):
            if len(cmd.args) > 1:
                raise self.fail(f"can't give argument to non-function {first.node}")
            base = self.arg(dot, first.node)
            return self.field_chain(base, first.fields, cmd.args, final, typed=True)
        if isinstance(first, _Ident):
            return self.call(dot, first, cmd, final)
        if isinstance(first, _Variable):
            v = self.var(first.idents[0])
            if len(first.idents) == 1:
                self.not_a_function(cmd.args, final)
                return v
            return self.field_chain(v, first.idents[1:], cmd.args, final, typed=True)
        self.not_a_function(cmd.args, final)
        if isinstance(first, _Pipe):
            return self.pipeline(dot, first)
        assert isinstance(first, _Const)
        if first.kind == _NIL:
            raise self.fail("nil is not a command")
        return dot if first.kind == _DOT else first.value

    def not_a_function(self, args: list[_Node], final: object) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise self.fail(f"can't give argument to non-function {args[0]}")

    def field_chain(
        self,
        recv: object,
        idents: list[str],
        args: list[_Node],
        final: object,
        typed: bool = False,
    ) -> object:
        for i, name in enumerate(idents):
            last = i == len(idents) - 1
            recv = self.field(
                recv, name, last and (len(args) > 1 or final is not _NOFINAL), typed and i == 0
            )
        return recv

    def field(self, recv: object, name: str, has_args: bool, top: bool) -> object:
        if recv is MISSING:
            if self.tmpl.missing_key_error:
                raise self.fail(f"nil data; no entry for key {_go_quote(name)}")
            return MISSING
        if recv is None:
            raise self.fail(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(recv, dict):
            if has_args:
                raise self.fail(f"{name} is not a method but has arguments")
            if name in recv:
                return recv[name]
            if self.tmpl.missing_key_error:
                raise self.fail(f"map has no entry for key {_go_quote(name)}")
            return MISSING
        typ = _go_type(recv) if top else "interface {}"
        raise self.fail(f"can't evaluate field {name} in type {typ}")

    def arg(self, dot: object, node: _Node) -> object:
        self.node = node
        if isinstance(node, _Field):
            return self.field_chain(dot, node.idents, [node], _NOFINAL, typed=not self.iface_dot)
        if isinstance(node, _Variable):
            v = self.var(node.idents[0])
            if len(node.idents) == 1:
                return v
            return self.field_chain(v, node.idents[1:], [node], _NOFINAL, typed=True)
        if isinstance(node, _Pipe):
            return self.pipeline(dot, node)
        if isinstance(node, _Ident):
            cmd = _Command(node.pos)
            cmd.args.append(node)
            return self.call(dot, node, cmd, _NOFINAL)
        if isinstance(node, _Chain):
            base = self.arg(dot, node.node)
            self.node = node
            return self.field_chain(base, node.fields, [node], _NOFINAL)
        assert isinstance(node, _Const)
        if node.kind == _NIL:
            return None
        return dot if node.kind == _DOT else node.value

    def call(self, dot: object, ident: _Ident, cmd: _Command, final: object) -> object:
        fn = self.funcs[ident.name]
        name = ident.name
        argn = cmd.args[1:]
        n_in = len(argn) + (final is not _NOFINAL)
        n_params = len(fn.params)
        if fn.variadic and n_in < n_params - 1:
            raise self.fail(
                f"wrong number of args for {name}: want at least {n_params - 1} got {n_in}"
            )
        if not fn.variadic and n_in != n_params:
            raise self.fail(f"wrong number of args for {name}: want {n_params} got {n_in}")
        if fn.lazy:
            thunks = [self._thunk(dot, a) for a in argn]
            if final is not _NOFINAL:
                thunks.append(lambda: final)
            self.node = cmd
            return fn.call(*thunks)
        values: list[object] = []
        for i, a in enumerate(argn):
            want = fn.params[min(i, n_params - 1)]
            if isinstance(a, _Const) and a.kind in (_NUMBER, _STRING, _BOOL, _NIL):
                values.append(self.literal(a, want))
                continue
            v = self.arg(dot, a)
            values.append(self.check_type(v, want))
        if final is not _NOFINAL:
            values.append(self.check_type(final, fn.params[min(len(argn), n_params - 1)]))
        self.node = cmd
        try:
            return fn.call(*values)
        except _CallError as exc:
            raise self.fail(f"error calling {name}: {exc}") from None

    def literal(self, node: _Const, want: str) -> object:
        """Go checks constants against the parameter type before the call."""
        self.node = node
        v = node.value
        if want == "string" and not isinstance(v, str):
            raise self.fail(f"expected string; found {node.source}")
        if want == "int":
            if isinstance(v, float) and v.is_integer():
                return int(v)
            if node.kind != _NUMBER or not isinstance(v, int):
                raise self.fail(f"expected integer; found {node.source}")
        if want == "[]string" and node.kind != _NIL:
            raise self.fail(f"can't handle {node.source} for arg of type []string")
        return [] if want == "[]string" else v

    def _thunk(self, dot: object, node: _Node) -> Callable[[], object]:
        return lambda: self.arg(dot, node)

    def check_type(self, v: object, want: str) -> object:
        if want == "any":
            return None if v is MISSING else v
        if v is MISSING:
            if want == "[]string":
                return []
            raise self.fail(f"invalid value; expected {want}")
        if v is None:  # a JSON null: Go's nil interface{} is no string, int or slice
            raise self.fail(f"wrong type for value; expected {want}; got interface {{}}")
        ok = (
            (want == "string" and isinstance(v, str))
            or (want == "int" and isinstance(v, int) and not isinstance(v, bool))
            or (
                want == "[]string"
                and isinstance(v, list | tuple)
                and all(isinstance(e, str) for e in v)
            )
        )
        if not ok:
            raise self.fail(f"wrong type for value; expected {want}; got {_go_type(v)}")
        return v


class Template:
    """A parsed template; parse once, execute for every row."""

    __slots__ = ("funcs", "missing_key_error", "nodes", "source")

    def __init__(
        self,
        source: str,
        *,
        missing_key_error: bool = False,
        funcs: dict[str, _Func] | None = None,
    ) -> None:
        self.source = source
        self.missing_key_error = missing_key_error
        self.funcs = BUILTINS if funcs is None else funcs
        self.nodes = _Parser(source, self.funcs).parse()

    def execute(self, data: object) -> str:
        """Render with `data` as dot."""
        ex = _Exec(self, self.funcs, data)
        try:
            ex.walk(data, self.nodes)
        except RecursionError:
            err = ex.fail("exceeded maximum template depth")
            err.partial = "".join(ex.out)
            raise err from None
        except TemplateError as exc:
            exc.partial = "".join(ex.out)
            raise
        return "".join(ex.out)

    def field_names(self) -> Iterator[str]:
        """Top-level fields the template reads (`.ID`, `.Names`), for building headers."""
        stack: list[object] = list(self.nodes)
        while stack:
            n = stack.pop()
            if isinstance(n, _Field):
                yield n.idents[0]
            elif isinstance(n, _Action):
                stack.append(n.pipe)
            elif isinstance(n, _Control):
                stack.extend([n.pipe, *n.body, *(n.else_body or [])])
            elif isinstance(n, _Pipe):
                stack.extend(n.cmds)
            elif isinstance(n, _Command):
                stack.extend(n.args)
            elif isinstance(n, _Chain):
                stack.append(n.node)


_CACHE: dict[tuple[str, bool, bool], Template] = {}


def compile(
    template: str, *, missing_key_error: bool = False, sort_json_keys: bool = False
) -> Template:
    """Parse `template` (cached); raises TemplateError with Go's message.

    `missing_key_error` is Go's Option("missingkey=error"); `sort_json_keys` makes the
    `json` function sort dict keys (Go maps) instead of keeping their order (Go structs).
    """
    key = (template, missing_key_error, sort_json_keys)
    t = _CACHE.get(key)
    if t is None:
        if len(_CACHE) > 64:
            _CACHE.clear()
        funcs = BUILTINS_SORTED_JSON if sort_json_keys else BUILTINS
        t = _CACHE[key] = Template(template, missing_key_error=missing_key_error, funcs=funcs)
    return t


def render(template: str, data: object) -> str:
    """Parse and execute `template` against `data`, like Go's text/template."""
    return compile(template).execute(data)
