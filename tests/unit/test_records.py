"""supervisor.records.NamedTuple (issue 16: no `typing` on the CLI's cold path) makes the
class typing.NamedTuple makes."""

from __future__ import annotations

import typing

import pytest

from supervisor import records


def _make(base: type) -> type:
    class Row(base):  # type: ignore[misc,valid-type]
        """A row."""

        id: str
        size: int = 0
        names: list[str] = []  # noqa: RUF012

        @property
        def short_id(self) -> str:
            return str(self.id[:3])

        @classmethod
        def blank(cls) -> typing.Any:
            return cls("")

        def grown(self, n: int) -> typing.Any:
            return self._replace(size=self.size + n)

    return Row


def test_same_class_as_typing() -> None:
    ours, theirs = _make(records.NamedTuple), _make(typing.NamedTuple)
    for cls in (ours, theirs):
        row = cls("abcdef", 2)
        assert isinstance(row, tuple) and tuple(row) == ("abcdef", 2, [])
        assert (row.short_id, row.grown(3).size, cls.blank().id) == ("abc", 5, "")
        assert row._asdict() == {"id": "abcdef", "size": 2, "names": []}
        assert cls("x") == ("x", 0, [])
        with pytest.raises(AttributeError):
            row.size = 3
    assert ours._fields == theirs._fields and ours._field_defaults == theirs._field_defaults
    for name in ("__doc__", "__module__", "__qualname__"):
        assert getattr(ours, name) == getattr(theirs, name), name
    # typing wraps the (postponed) annotations in ForwardRef; the names are the same
    assert typing.get_type_hints(ours) == typing.get_type_hints(theirs)
    assert repr(ours("a")) == repr(theirs("a"))


def test_defaults_come_last() -> None:
    for base in (records.NamedTuple, typing.NamedTuple):
        with pytest.raises(TypeError, match="cannot follow default field"):

            class Bad(base):  # type: ignore[misc,valid-type]
                a: int = 0
                b: int
