"""`/containers/{id}/exec` and `/exec/{id}/...`: Docker's exec sessions over
`supervisor.api.interactive.exec_` (the process' streams on socket pairs this service frames).

A session lives in this service's memory from its create to the service's exit (Docker keeps
them in its daemon); its exit code is read by `GET /exec/{id}/json` after the stream ends.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

import anyio
import anyio.abc
import anyio.to_thread

from supervisor.api import interactive as api
from supervisor.errors import NotFoundError
from supervisor.service.attach import RAW_STREAM, output, send_input
from supervisor.service.call import Call, Router, blocking
from supervisor.service.containers import inspect_of
from supervisor.service.http import HTTPError


@dataclass
class Session:
    id: str
    container: str
    command: list[str]
    env: list[str] = field(default_factory=list)
    user: str | None = None
    workdir: str | None = None
    stdin: bool = False
    stdout: bool = True
    stderr: bool = True
    tty: bool = False
    privileged: bool = False
    running: bool = False
    exit_code: int | None = None
    size: tuple[int, int] | None = None  # rows, cols: the terminal's, once asked
    master: int = -1  # the pty's master while a Tty session runs


SESSIONS: dict[str, Session] = {}  # this process' sessions (one service per process)


async def create(call: Call) -> None:
    data = await inspect_of(call, call.req.params["id"])
    if not data["State"].get("Running"):
        raise HTTPError(409, f"container {data['Id']} is not running")
    body = call.req.json()
    if not isinstance(body, dict):
        raise HTTPError(400, "invalid exec request: expected a JSON object")
    cmd = body.get("Cmd")
    if not isinstance(cmd, list) or not cmd or not all(isinstance(c, str) for c in cmd):
        raise HTTPError(400, "no exec command specified")
    session = Session(os.urandom(32).hex(), data["Id"], list(cmd),
                      env=[str(e) for e in body.get("Env") or []],
                      user=body.get("User") or None, workdir=body.get("WorkingDir") or None,
                      stdin=bool(body.get("AttachStdin")),
                      stdout=bool(body.get("AttachStdout", True)),
                      stderr=bool(body.get("AttachStderr", True)),
                      privileged=bool(body.get("Privileged")),
                      tty=bool(body.get("Tty")))  # fmt: skip
    session.size = _console_size(body.get("ConsoleSize"))
    SESSIONS[session.id] = session
    await call.json({"Id": session.id}, 201)


def _session(call: Call) -> Session:
    found = SESSIONS.get(call.req.params["id"])
    if found is None:
        raise NotFoundError("exec session", call.req.params["id"])
    return found


async def start(call: Call) -> None:
    session = _session(call)
    body = call.req.json()
    detach = isinstance(body, dict) and bool(body.get("Detach"))
    if isinstance(body, dict) and _console_size(body.get("ConsoleSize")):
        session.size = _console_size(body.get("ConsoleSize"))
    if session.running or session.exit_code is not None:
        raise HTTPError(409, f"exec session {session.id} has already run")
    if detach:
        req = request(session, detach=True, stdio=None)
        session.running = True
        session.exit_code = await blocking(api.exec_, call.settings, session.container, req)
        session.running = False
        await call.json({}, 200)
        return
    if "upgrade" in call.req.headers.get("connection", "").lower():
        await call.conn.upgrade(call.headers, RAW_STREAM)
    else:
        await call.conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: " + RAW_STREAM.encode() +
                             b"\r\n\r\n")  # fmt: skip
    call.hijacked = True
    if session.tty:
        await _on_terminal(call, session)
    else:
        await _stream(call, session)


async def _on_terminal(call: Call, session: Session) -> None:
    from supervisor.service.terminal import on_terminal

    def run(slave: int) -> int:
        req = request(session, False, (slave, slave, slave))
        return api.exec_(call.settings, session.container, req)

    def master_is(fd: int) -> None:
        session.master = fd

    session.running = True
    try:
        code = await on_terminal(call, run, session.size, session.stdin,
                                 session.stdout or session.stderr, master_is)  # fmt: skip
    finally:
        session.running = False
    session.exit_code = 126 if code is None else code


def request(session: Session, detach: bool,
            stdio: tuple[int, int, int] | None) -> api.ExecRequest:  # fmt: skip
    return api.ExecRequest(session.command, env=session.env, user=session.user,
                           workdir=session.workdir, interactive=session.stdin and not detach,
                           detach=detach, privileged=session.privileged, tty=session.tty,
                           stdio=stdio)  # fmt: skip


def _console_size(value: object) -> tuple[int, int] | None:
    """ExecStart/ExecCreate's ConsoleSize [rows, cols] (API 1.42; absent: none)."""
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        return value[0], value[1]
    return None


async def _stream(call: Call, session: Session) -> None:
    out_r, out_w = socket.socketpair()
    err_r, err_w = socket.socketpair()
    in_r, in_w = socket.socketpair()
    req = request(session, False, (in_r.fileno(), out_w.fileno(), err_w.fileno()))

    def run() -> int:
        try:
            return api.exec_(call.settings, session.container, req)
        finally:  # the thread owns its ends: the readers get their EOF
            for s in (out_w, err_w, in_r):
                s.close()

    done = anyio.Event()

    async def engine() -> None:
        try:
            session.exit_code = await anyio.to_thread.run_sync(run, abandon_on_cancel=True)
        except Exception as exc:  # the stream has begun: its end says it, the log says why
            session.exit_code = 126
            print(f"scopebox service: exec {session.id[:12]}: {exc}", flush=True)
        finally:
            session.running = False
            done.set()

    session.running = True
    out = await anyio.abc.SocketStream.from_socket(out_r)
    err = await anyio.abc.SocketStream.from_socket(err_r)
    stdin = await anyio.abc.SocketStream.from_socket(in_w)
    gone = [False]
    async with anyio.create_task_group() as tg:
        tg.start_soon(engine)
        if session.stdin:
            tg.start_soon(send_input, call, stdin)
        async with anyio.create_task_group() as readers:
            readers.start_soon(output, call, out, 1, False, session.stdout, gone)
            readers.start_soon(output, call, err, 2, False, session.stderr, gone)
        if not session.stdin:
            await stdin.aclose()
        with anyio.move_on_after(5):  # the streams ended: the process' code follows
            await done.wait()
        tg.cancel_scope.cancel()
    await stdin.aclose()


async def inspect(call: Call) -> None:
    s = _session(call)
    await call.json({
        "ID": s.id, "ContainerID": s.container, "Running": s.running,
        "ExitCode": s.exit_code if s.exit_code is not None else 0, "Pid": 0,
        "OpenStdin": s.stdin, "OpenStdout": s.stdout, "OpenStderr": s.stderr,
        "CanRemove": False, "DetachKeys": "",
        "ProcessConfig": {"entrypoint": s.command[0], "arguments": s.command[1:],
                          "tty": s.tty, "privileged": s.privileged, "user": s.user or ""},
    })


async def resize(call: Call) -> None:
    """`POST /exec/{id}/resize?h=&w=`: a Tty session's terminal size (kept until the
    terminal exists: Docker's CLI may ask before the start has made it)."""
    session = _session(call)
    rows, cols = call.req.integer("h", 0) or 0, call.req.integer("w", 0) or 0
    if rows <= 0 or cols <= 0:
        raise HTTPError(400, f"invalid terminal size h={rows} w={cols}")
    session.size = (rows, cols)
    if session.master >= 0:
        from supervisor.service.terminal import set_size

        set_size(session.master, session.size)
    await call.empty(201)


def add_routes(r: Router) -> None:
    r.add("POST", "/containers/{id}/exec", create)
    r.add("POST", "/exec/{id}/start", start)
    r.add("GET", "/exec/{id}/json", inspect)
    r.add("POST", "/exec/{id}/resize", resize)

