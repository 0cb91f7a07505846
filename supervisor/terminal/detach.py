"""Detach keys: parsed as Docker's and Podman's (`ctrl-p,ctrl-q`), matched by a pure state
machine over the bytes typed (no I/O: the attach loop feeds it, tests drive it directly)."""

from __future__ import annotations

from supervisor.errors import UsageError

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"

# ctrl-a .. ctrl-z are 1 .. 26; the punctuation ones are the rest of C0 (as Docker's term).
_CTRL = {f"ctrl-{chr(c)}": c - 96 for c in range(ord("a"), ord("z") + 1)}
_CTRL.update({"ctrl-@": 0, "ctrl-[": 27, "ctrl-\\": 28, "ctrl-]": 29, "ctrl-^": 30, "ctrl-_": 31})


class DetachKeysError(UsageError):
    """A --detach-keys value that is not a sequence of keys."""

    def __init__(self, key: str) -> None:
        super().__init__(f"invalid detach keys: Unknown character: '{key}'")
        self.key = key


def resolve_detach_keys(flag: str | None, configured: str | None) -> bytes:
    """--detach-keys, else containers.conf's detach_keys ("" disables), else ctrl-p,ctrl-q."""
    if flag is None:
        flag = configured if configured is not None else DEFAULT_DETACH_KEYS
    return parse_detach_keys(flag)


def parse_detach_keys(spec: str) -> bytes:
    """`ctrl-p,ctrl-q` -> b"\\x10\\x11"; "" disables detaching (b"")."""
    if spec == "":
        return b""
    out = bytearray()
    for key in spec.split(","):
        if len(key) == 1:
            out += key.encode("latin-1", "replace")
        elif key in _CTRL:
            out.append(_CTRL[key])
        else:
            raise DetachKeysError(key)
    return bytes(out)


class DetachMatcher:
    """Input bytes in, (bytes to pass on, detach now) out.

    A byte that may start or continue the sequence is held back; when the sequence breaks the
    held bytes go on, in order, so typing ctrl-p alone still reaches the container (late, with
    the next key, as with Docker and Podman). Nothing is held with detaching disabled.
    """

    __slots__ = ("_held", "keys")

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self._held = 0  # how many of `keys` the last bytes matched

    @property
    def held(self) -> bytes:
        return self.keys[: self._held]

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        keys = self.keys
        if not keys:
            return data, False
        out = bytearray()
        for byte in data:
            if byte != keys[self._held]:
                # The sequence broke: what was held goes on; this byte may start it again.
                out += keys[: self._held]
                self._held = 0
                if byte != keys[0]:
                    out.append(byte)
                    continue
            self._held += 1
            if self._held == len(keys):
                self._held = 0
                return bytes(out), True  # what follows the keys is dropped: we leave
        return bytes(out), False
