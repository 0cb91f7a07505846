"""conmon.monitor._read_batch: a wakeup's output gathered from real pipes and a real pty."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import tty

from conmon.monitor import READ_BATCH, _read_batch


def test_a_pipe_gives_what_it_holds_up_to_the_batch_then_none() -> None:
    r, w = os.pipe()
    os.set_blocking(r, False)
    try:
        assert _read_batch(r) is None  # nothing yet: not an EOF
        os.write(w, b"abc")
        assert _read_batch(r) == b"abc"
        assert _read_batch(r) is None
    finally:
        os.close(r)
        os.close(w)


def test_data_before_the_eof_comes_first_and_the_eof_after() -> None:
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.write(w, b"last line\n")
    os.close(w)
    try:
        assert _read_batch(r) == b"last line\n"
        assert _read_batch(r) == b""
    finally:
        os.close(r)


def test_reads_repeat_up_to_the_batch() -> None:
    """Several reads (a pty's master gives 4095 bytes each) make one batch, at most READ_BATCH."""
    r, w = os.pipe()
    os.set_blocking(r, False)
    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4 * READ_BATCH)
    data = os.urandom(READ_BATCH + READ_BATCH // 2)
    os.write(w, data)
    try:
        assert _read_batch(r, piece=4095) == data[:READ_BATCH]
        assert _read_batch(r, piece=4095) == data[READ_BATCH:]
        assert _read_batch(r) is None
    finally:
        os.close(r)
        os.close(w)


def test_a_pty_master_gives_all_its_output_then_eof() -> None:
    """A master gives 4095 bytes a read at most, and EIO once the follower is closed."""
    master, follower = pty.openpty()
    tty.setraw(follower)
    os.set_blocking(master, False)
    data = b"".join(b"line %06d\n" % i for i in range(40000))  # 480 KB
    got = bytearray()
    try:
        written = 0
        while len(got) < len(data):
            with contextlib.suppress(BlockingIOError):
                os.set_blocking(follower, False)
                written += os.write(follower, data[written : written + 65536])
            select.select([master], [], [], 5)
            chunk = _read_batch(master)
            assert chunk != b"", "EOF before all the output came"
            got += chunk or b""
        os.close(follower)
        follower = -1
        assert _read_batch(master) == b""
    finally:
        if follower >= 0:
            os.close(follower)
        os.close(master)
    assert got == data
