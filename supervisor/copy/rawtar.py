"""A tar stream over a file descriptor without copying file data through Python: headers
from `tarfile.TarInfo` (PAX where needed), data by `sendfile(2)` out and `splice(2)` in.

tarfile's own stream mode copies every byte through several Python buffers; for `cp` of large
trees that halves the throughput (measured by bench/cp.py).
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
from collections.abc import Iterator
from typing import Any

BLOCK = 512
_CHUNK = 1 << 20
_ZEROS = bytes(BLOCK * 2)


def _pad(size: int) -> int:
    return -size % BLOCK


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Writer:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.sendfile = True

    def add(self, info: tarfile.TarInfo) -> None:
        write_all(self.fd, info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

    def add_file(self, info: tarfile.TarInfo, src: int) -> None:
        """`info.size` bytes of `src`; a file that shrank meanwhile is padded with zeros."""
        self.add(info)
        left = info.size
        while left > 0:
            n = self._send(src, min(left, 1 << 30))
            if n == 0:
                write_all(self.fd, bytes(min(left, _CHUNK)))
                n = min(left, _CHUNK)
            left -= n
        write_all(self.fd, bytes(_pad(info.size)))

    def _send(self, src: int, count: int) -> int:
        if self.sendfile:
            try:
                return os.sendfile(self.fd, src, None, count)
            except OSError as exc:
                if exc.errno not in (errno.EINVAL, errno.ENOSYS):
                    raise
                self.sendfile = False
        data = os.read(src, min(count, _CHUNK))
        write_all(self.fd, data)
        return len(data)

    def close(self) -> None:
        write_all(self.fd, _ZEROS)


class Reader:
    def __init__(self, fd: int, decompress: bool = False) -> None:
        """`decompress`: the stream may be gzip, bzip2 or xz (`cp -` of a compressed tar, as
        Podman takes it); sniffed here, so call it before a chroot (the codecs' modules)."""
        self.fd = fd
        self.left = 0  # unread data (with padding) of the current member
        self.splice = stat.S_ISFIFO(os.fstat(fd).st_mode)
        self.prefix = b""  # read while sniffing, not yet consumed
        if decompress:
            self._sniff()

    def _sniff(self) -> None:
        head = os.read(self.fd, BLOCK)
        codec = _codec_of(head)
        if codec is None:
            while 0 < len(head) < BLOCK:  # a pipe may hand the first block over in parts
                more = os.read(self.fd, BLOCK - len(head))
                if not more:
                    break
                head += more
            if head and head != bytes(len(head)):  # not an empty (or all-zero) archive
                try:
                    tarfile.TarInfo.frombuf(head, "utf-8", "surrogateescape")
                except tarfile.HeaderError:
                    raise tarfile.ReadError("source must be a (compressed) tar archive when "
                                            "copying from stdin") from None  # Podman's words
            self.prefix = head
            return
        import threading

        r, w = os.pipe2(os.O_CLOEXEC)
        threading.Thread(target=_inflate, args=(codec, head, self.fd, w), daemon=True).start()
        self.fd, self.splice = r, True

    def _exact(self, n: int, eof_ok: bool = False) -> bytes | None:
        parts, got = [], 0
        if self.prefix:
            parts.append(self.prefix[:n])
            got = len(parts[0])
            self.prefix = self.prefix[n:]
        while got < n:
            data = os.read(self.fd, n - got)
            if not data:
                if eof_ok and got == 0:
                    return None
                raise EOFError("unexpected end of the archive")
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def skip(self) -> None:
        while self.left:
            data = self._exact(min(self.left, _CHUNK))
            assert data is not None
            self.left -= len(data)

    def copy_to(self, out: int, size: int) -> None:
        """The current member's data into `out`."""
        left = size
        while left > 0:
            if self.splice and not self.prefix:
                n = os.splice(self.fd, out, min(left, 1 << 30))
                if n == 0:
                    raise EOFError("unexpected end of the archive")
            else:
                data = self._exact(min(left, _CHUNK))
                assert data is not None
                write_all(out, data)
                n = len(data)
            left -= n
        self.left -= size
        self.skip()

    def __iter__(self) -> Iterator[tarfile.TarInfo]:
        pax_global: dict[str, str] = {}
        while True:
            self.skip()
            buf = self._exact(BLOCK, eof_ok=True)
            if buf is None or buf == _ZEROS[:BLOCK]:
                return
            info, pax = self._header(buf, pax_global)
            self.left = info.size + _pad(info.size) if info.type in tarfile.REGULAR_TYPES else 0
            yield _apply(info, pax)

    def _header(self, buf: bytes, pax_global: dict[str, str]
                ) -> tuple[tarfile.TarInfo, dict[str, str]]:
        pax = dict(pax_global)
        while True:
            info = tarfile.TarInfo.frombuf(buf, "utf-8", "surrogateescape")
            if info.type not in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME,
                                 tarfile.GNUTYPE_LONGLINK):
                return info, pax
            data = self._exact(info.size + _pad(info.size))
            assert data is not None
            data = data[: info.size]
            if info.type == tarfile.GNUTYPE_LONGNAME:
                pax["path"] = data.rstrip(b"\0").decode("utf-8", "surrogateescape")
            elif info.type == tarfile.GNUTYPE_LONGLINK:
                pax["linkpath"] = data.rstrip(b"\0").decode("utf-8", "surrogateescape")
            else:
                records = _pax_records(data)
                pax.update(records)
                if info.type == tarfile.XGLTYPE:
                    pax_global.update(records)
            nxt = self._exact(BLOCK)
            assert nxt is not None
            buf = nxt


def _pax_records(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        length = int(data[pos:space])
        if length <= 0:
            raise tarfile.HeaderError("bad pax record length")
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def _apply(info: tarfile.TarInfo, pax: dict[str, str]) -> tarfile.TarInfo:
    if "path" in pax:
        info.name = pax["path"]
    if "linkpath" in pax:
        info.linkname = pax["linkpath"]
    for key in ("size", "uid", "gid"):
        if key in pax:
            setattr(info, key, int(pax[key]))
    if "mtime" in pax:
        info.mtime = int(float(pax["mtime"]))
    info.pax_headers = pax
    return info


def _codec_of(head: bytes) -> Any:
    """A fresh decompressor for the stream starting with `head`, None for a plain tar."""
    if head[:2] == b"\x1f\x8b":
        import zlib

        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if head[:3] == b"BZh":
        import bz2

        return bz2.BZ2Decompressor()
    if head[:6] == b"\xfd7zXZ\x00":
        import lzma

        return lzma.LZMADecompressor()
    return None


def _inflate(codec: Any, head: bytes, src: int, out: int) -> None:
    """`head` and the rest of `src` through `codec` into `out`, closed at the end (or at a
    broken stream: the reader then sees the archive end early). Concatenated members (gzip's
    multi-member streams) are decompressed in turn."""
    try:
        data = head
        while data:
            write_all(out, codec.decompress(data))
            while codec.eof and codec.unused_data:
                rest, codec = codec.unused_data, _codec_of(codec.unused_data)
                if codec is None:
                    return
                write_all(out, codec.decompress(rest))
            data = os.read(src, _CHUNK)
    except Exception:  # OSError, zlib.error, lzma.LZMAError: the reader sees an early EOF
        pass
    finally:
        os.close(out)
