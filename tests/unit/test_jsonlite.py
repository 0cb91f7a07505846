"""supervisor/jsonlite.py: json's own C scanner and encoder without importing json; the same
documents, texts and errors as json's."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from supervisor import jsonlite

CHECKOUT = Path(__file__).resolve().parents[2]
DOCS = [
    {"ociVersion": "1.0.2", "process": {"args": ["sh", "-c", "echo \u00e9 \"q\" \\ \n"],
                                        "env": ["A=1", "B="], "terminal": False,
                                        "user": {"uid": 0, "gid": 0}, "rlimits": []}},
    [1, -2, 3.5, 1e300, None, True, False, "", {}, []],
    {"nested": [[[{"k": "\u2603\U0001f600"}]]]},
    "text", 7,
]


@pytest.mark.parametrize("doc", DOCS)
def test_the_same_as_json(doc: object) -> None:
    text = json.dumps(doc)
    assert jsonlite.dumps(doc) == text
    assert jsonlite.loads(text) == doc
    assert jsonlite.loads(text.encode()) == doc
    assert jsonlite.loads(f" \n\t{text}\r\n ") == doc


def test_non_finite_numbers_as_json() -> None:
    text = json.dumps([math.inf, -math.inf])
    assert jsonlite.dumps([math.inf, -math.inf]) == text
    got = jsonlite.loads("[NaN, Infinity, -Infinity]")
    assert math.isnan(got[0]) and got[1:] == [math.inf, -math.inf]


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} x', "[1,]", '{"a" 1}', "\xff"])
def test_errors_are_json_s(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as want:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as got:
        jsonlite.loads(text)
    assert str(got.value) == str(want.value)


def test_unencodable_and_circular_as_json() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        jsonlite.dumps({"a": {1}})
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        jsonlite.dumps(loop)


def test_it_loads_neither_json_nor_re() -> None:
    code = (f"import sys; sys.path.insert(0, {str(CHECKOUT)!r})\n"
            "from supervisor import jsonlite\n"
            "doc = jsonlite.loads(b'{\"process\": {\"env\": [\"A=1\"]}}')\n"
            "print(jsonlite.dumps(doc), sorted({'json', 're'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert out == '{"process": {"env": ["A=1"]}} []\n'
