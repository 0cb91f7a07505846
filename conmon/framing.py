"""Log line framing: a pure state machine (bytes in, records out, no I/O).

A record is ``(stream, data, partial)``: ``data`` excludes the newline; ``partial`` is True for
a piece of a line longer than ``max_line`` and for a trailing line that had no newline at EOF
(CRI's ``P`` flag). Imported by the monitor, so stdlib-free and cheap.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    Record = tuple[str, bytes, bool]

DEFAULT_MAX_LINE = 16 * 1024


class LineFramer:
    """Splits one stream's byte chunks into line records."""

    __slots__ = ("_buf", "max_line", "stream")

    def __init__(self, stream: str, max_line: int = DEFAULT_MAX_LINE) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be >= 1, got {max_line}")
        self.stream = stream
        self.max_line = max_line
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held back waiting for a newline (always <= max_line)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Record]:
        """Add bytes read from the stream; return the records they complete."""
        buf = self._buf
        buf += data
        out: list[Record] = []
        start = 0
        end = len(buf)
        limit = self.max_line
        while start < end:
            nl = buf.find(b"\n", start, min(end, start + limit + 1))
            if nl >= 0:
                out.append((self.stream, bytes(buf[start:nl]), False))
                start = nl + 1
            elif end - start > limit:
                # Over-long line: cut a full-size piece; the rest follows as more records.
                out.append((self.stream, bytes(buf[start : start + limit]), True))
                start += limit
            else:
                break
        del buf[:start]
        return out

    def feed_block(self, data: bytes) -> tuple[list[Record], bytes]:
        """As :meth:`feed`, for throughput: records for an over-long first line (with what
        was held back), then the complete lines as one block, newlines kept (b"" when none).

        The block's lines are whole and none is longer than ``max_line``, so a driver frames
        them all at once (bytes.replace runs in C; a Python loop per line was the monitor's
        bottleneck). Data that may hold an over-long line takes :meth:`feed` whole."""
        first = data.find(b"\n")
        last = data.rfind(b"\n")
        limit = self.max_line
        if first == last or len(data) - last - 1 > limit:  # one line at most, or a long tail
            return self.feed(data), b""
        # A line longer than max_line holds a whole aligned window of max_line // 2 bytes
        # without a newline; one find per window rules that out (a few per read).
        step = max(1, limit // 2)
        for start in range(first + 1, last + 1 - step, step):
            if data.find(b"\n", start, start + step) < 0:
                return self.feed(data), b""
        buf = self._buf
        if len(buf) + first <= limit:  # the first line is whole and short: in the block too
            block = bytes(buf) + data[: last + 1] if buf else data[: last + 1]
            records: list[Record] = []
        else:
            records = self.feed(data[: first + 1])  # ends with its newline: nothing held back
            block = data[first + 1 : last + 1]
        buf[:] = data[last + 1 :]
        return records, block

    def finish(self) -> list[Record]:
        """The stream reached EOF: flush a trailing line without newline as partial."""
        if not self._buf:
            return []
        rec: Record = (self.stream, bytes(self._buf), True)
        self._buf.clear()
        return [rec]
