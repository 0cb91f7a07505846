"""performance (issues 14, 16): containers.conf and storage.conf parsed once per text.

`tomllib` costs a cold start ~10-15 ms (it loads `re`, `typing`, `string` and `datetime` and
compiles a dozen regular expressions), paid by every verb when a containers.conf sets a key
scopebox reads (`netns`, `events_logger`, ...): more than `exec`'s own work. This keeps, beside
the package's bytecode (as supervisor/classcache.py does), each file's last text with the
document parsed from it (marshal): a hit needs the very same text, so it is the document
`tomllib` would give; a changed file is parsed again. The cache file is the writer's alone
(0600) and read only when owned by the reader: a user who can write the package directory
cannot hand root a document. Written as .pyc files are (a writable `__pycache__`, not under
PYTHONDONTWRITEBYTECODE); a missing, unreadable or foreign file is an empty cache.
Standard library only, no heavy import on a hit.
"""

from __future__ import annotations

import contextlib
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Plain data (dicts, lists, strings, numbers, booleans) in marshal's format 4: the same for
# every Python 3, so interpreters sharing a package directory share the file.
PATH = os.path.join(os.path.dirname(__file__), "__pycache__", "toml-documents.marshal")
FORMAT = "scopebox-toml-1"
KEEP = 16  # files remembered (tests make many; each a few KiB at most)


def loads(path: str, text: str) -> dict[str, Any]:
    """`tomllib.loads(text)` for the file at `path`; raises its TOMLDecodeError (a ValueError)
    on bad TOML, which is never cached."""
    table = _load()
    hit = table.get(path)
    if hit is not None and hit[0] == text:
        return dict(hit[1])
    import tomllib

    doc = tomllib.loads(text)
    _save(table, path, text, doc)
    return doc


def _load() -> dict[str, tuple[str, dict[str, Any]]]:
    import marshal

    try:
        with open(PATH, "rb") as f:
            if os.fstat(f.fileno()).st_uid != os.geteuid():
                return {}
            version, table = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return table if version == FORMAT and isinstance(table, dict) else {}


def _save(table: dict[str, Any], path: str, text: str, doc: dict[str, Any]) -> None:
    """Atomically (a concurrent reader sees the old file or the new one); a document marshal
    cannot hold (TOML's dates and times) is not kept."""
    if sys.dont_write_bytecode:
        return
    import marshal

    table.pop(path, None)
    table[path] = (text, doc)
    table = dict(list(table.items())[-KEEP:])
    tmp = f"{PATH}.{os.getpid()}.tmp"
    try:
        data = marshal.dumps((FORMAT, table), 4)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, PATH)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
