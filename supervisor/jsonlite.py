"""performance (issue 14): `json.loads` and `json.dumps` without importing `json`.

`import json` loads `re` (and `enum`, `functools`, the regex compiler) and compiles its
patterns: milliseconds of each `exec`'s start, which reads one document (the container's
config.json) and writes one (the exec's process). These run the same C code `json` runs
with its default settings: the scanner (`_json.make_scanner`, given what `json.JSONDecoder()`
gives it; only `json`'s whitespace regex is replaced by `str.lstrip`) and the one-shot
encoder (`_json.make_encoder`, as `json.JSONEncoder().encode` calls it: ASCII, `", "` and
`": "`, circular references checked). Any error (and an interpreter without `_json`) is left
to `json` itself, so the results and messages are its own.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

WHITESPACE = " \t\n\r"  # JSON's (json.decoder.WHITESPACE)
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _Decoder:
    """The attributes `_json.make_scanner` reads of a `json.JSONDecoder()`."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


def loads(data: bytes | str) -> Any:
    try:
        from _json import make_scanner

        text = data.decode() if isinstance(data, bytes) else data
        start = len(text) - len(text.lstrip(WHITESPACE))
        obj, end = make_scanner(_Decoder)(text, start)  # type: ignore[arg-type]  # duck-typed
    except (ImportError, StopIteration, ValueError):
        return _slow(data)
    if text[end:].strip(WHITESPACE):
        return _slow(data)  # extra data: json's error
    return obj


def _slow(data: bytes | str) -> Any:
    import json

    return json.loads(data)


def dumps(obj: Any) -> str:
    """`json.dumps(obj)`."""
    if isinstance(obj, (dict, list)):
        try:
            from _json import encode_basestring_ascii, make_encoder

            encode = make_encoder({}, _unencodable, encode_basestring_ascii, None, ": ", ", ",
                                  False, False, True)  # fmt: skip
            return "".join(encode(obj, 0))
        except (ImportError, TypeError, ValueError):
            pass
    import json

    return json.dumps(obj)


def _unencodable(obj: Any) -> Any:
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")
