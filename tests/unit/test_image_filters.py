"""`images --filter`: Podman 4.3's keys (supervisor/imagefilters.py)."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.imagefilters import Facts, compile_all, split
from supervisor.store import ImageRow


def _img(id_: str, created: str, names: list[str],
         labels: dict[str, str] | None = None) -> ImageRow:  # fmt: skip
    return ImageRow(id_ * 64, names, created, 1, [], {"config": {"Labels": labels}})


OLD = _img("a", "2026-01-01T00:00:00Z", ["localhost/old:1"], {"k": "v"})
MID = _img("b", "2026-02-01T00:00:00Z", [])
NEW = _img("c", "2026-03-01T00:00:00Z", ["localhost/new:1"])
FACTS = Facts({"a" * 64: 2}, {"b" * 64}, {"MID": 1769904000.0})  # MID's created


def _kept(*items: str) -> list[str]:
    keep = compile_all(split(list(items)), FACTS)
    return [img.id[0] for img in (OLD, MID, NEW) if keep(img)]


@pytest.mark.parametrize(
    ("items", "kept"),
    [
        (("after=MID",), ["c"]),
        (("since=MID",), ["c"]),
        (("before=MID",), ["a"]),
        (("dangling=true",), ["b"]),
        (("dangling=false", "before=MID"), ["a"]),  # every filter must pass
        (("id=sha256:bbb",), ["b"]),
        (("intermediate=true",), ["b"]),
        (("label=k",), ["a"]),
        (("label=k=w",), []),
        (("containers=true",), ["a"]),
        (("containers=false",), ["b", "c"]),
        (("until=2026-02-15T00:00:00Z",), ["a", "b"]),
        (("readonly=false",), ["a", "b", "c"]),
        (("reference=x",), ["a", "b", "c"]),  # the caller's part
    ],
)
def test_filters_keep_what_podman_keeps(items: tuple[str, ...], kept: list[str]) -> None:
    assert _kept(*items) == kept


@pytest.mark.parametrize(
    ("item", "words"),
    [
        ("foo", 'invalid image filter "foo": must be in the format'),
        ("foo=1", 'unsupported image filter "foo"'),
        ("dangling=maybe", 'non-boolean value "dangling" for maybe filter'),
        ("containers=maybe", 'unsupported value "maybe" for containers filter'),
    ],
)
def test_bad_filters_are_podmans_errors(item: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        _kept(item)
