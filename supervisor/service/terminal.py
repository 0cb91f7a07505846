"""Exec sessions with a terminal (`Tty`): the service's own pty between the hijacked
connection and the runtime.

The engine API runs the exec in the foreground on the pty's slave (runc proxies the
process' terminal to it and resizes that on SIGWINCH, which the kernel sends when the
master's size changes: `POST /exec/{id}/resize`); the event loop reads the master into the
connection and writes what the client types into it. The output is raw, as a terminal's
(no stream frames), CR-LF as the process' terminal makes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import termios
from collections.abc import Callable

import anyio
import anyio.to_thread

from supervisor.service.call import Call
from supervisor.service.http import Closed

READ = 65536


def set_size(fd: int, size: tuple[int, int]) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))


async def on_terminal(call: Call, run: Callable[[int], int], size: tuple[int, int] | None,
                      stdin: bool, output: bool,
                      master_is: Callable[[int], None]) -> int | None:  # fmt: skip
    """`run(slave)` (a blocking engine call, in a worker thread) with a new pty's slave, the
    master pumped to and from the hijacked connection; the exit code `run` returned (None:
    it failed, the service's log says why). `master_is` gets the master while it is open
    (-1 after), for resizes."""
    master, slave = os.openpty()
    os.set_blocking(master, False)
    set_size(master, size or (24, 80))
    code: list[int | None] = [None]

    def blocking() -> int:
        try:
            return run(slave)
        finally:  # the last slave closes: the master reads to its end, then EIO
            os.close(slave)

    done = anyio.Event()

    async def engine() -> None:
        try:
            code[0] = await anyio.to_thread.run_sync(blocking, abandon_on_cancel=True)
        except Exception as exc:  # the stream has begun: the log says why it ended
            print(f"scopebox service: exec on a terminal: {exc}", flush=True)
        finally:
            done.set()

    master_is(master)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(engine)
            if stdin:
                tg.start_soon(_input, call, master)
            await _output(call, master, output)
            with anyio.move_on_after(5):  # the terminal ended: the process' code follows
                await done.wait()
            tg.cancel_scope.cancel()
    finally:
        master_is(-1)
        os.close(master)
    return code[0]


async def _output(call: Call, master: int, wanted: bool) -> None:
    """The terminal's output to the client until it ends (EIO once no slave is open); once
    the client is gone, read on and drop (the process must never block on its terminal)."""
    gone = not wanted
    while True:
        await anyio.wait_readable(master)
        try:
            data = os.read(master, READ)
        except BlockingIOError:
            continue
        except OSError:  # EIO: the terminal's last user is gone
            return
        if not data:
            return
        if gone:
            continue
        try:
            await call.conn.send(data)
        except Closed:
            gone = True


async def _input(call: Call, master: int) -> None:
    """What the client types, to the terminal (its end of input ends only this)."""
    try:
        while data := await call.conn.receive_raw():
            while data:
                await anyio.wait_writable(master)
                try:
                    data = data[os.write(master, data):]
                except BlockingIOError:
                    continue
    except (Closed, OSError):
        pass
