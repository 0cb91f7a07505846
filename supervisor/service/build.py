"""`POST /build`: Docker's classic builder endpoint over `supervisor.api.build`.

The body is the build context as a tar (maybe compressed); it is spooled to a file as it
arrives, unpacked with tarfile's `data` filter into a private directory (no absolute names, no
links out of it, no devices, no setuid), built, and the directory removed, built or not. The
reply is Docker's JSON stream: the build's lines as `{"stream": ...}`, then
`{"aux": {"ID": "sha256:..."}}` and `Successfully built ID`, or `{"error": ...}`."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from typing import Any

from supervisor.api import build as api
from supervisor.errors import ScopeboxError, UsageError
from supervisor.service.call import Call, Router, blocking
from supervisor.service.http import HTTPError
from supervisor.service.streams import from_thread_each

_TRUE = ("1", "true", "True")


def _json_arg(call: Call, name: str) -> dict[str, str]:
    text = call.req.arg(name)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise HTTPError(400, f"{name}: not a JSON object") from None
    if not isinstance(value, dict):
        raise HTTPError(400, f"{name}: not a JSON object")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def request(call: Call, context: str, labels: dict[str, str] | None = None) -> api.BuildRequest:
    """Docker's query; `labels`: already read (Podman's route sends them as a list)."""
    tags = tuple(t for t in _all(call, "t") if t)
    dockerfile = call.req.arg("dockerfile") or ""
    if dockerfile:
        path = os.path.normpath(os.path.join(context, dockerfile))
        if not path.startswith(context.rstrip("/") + "/"):
            raise HTTPError(400, f"dockerfile {dockerfile!r} is outside the build context")
        dockerfile = path
    pull = call.req.arg("pull")
    network = call.req.arg("networkmode")
    return api.BuildRequest(
        context, dockerfile, None, tags, _json_arg(call, "buildargs"),
        call.req.arg("target") or "", _json_arg(call, "labels") if labels is None else labels, {},
        call.req.arg("q") in _TRUE, call.req.arg("nocache") in _TRUE,
        True, call.req.arg("rm") not in ("0", "false", "False"), True, "docker",
        "always" if pull in _TRUE else ("missing" if pull in ("", "0", "false", "False")
                                        else pull),
        "" if network in ("", "default", "bridge") else network)  # fmt: skip


def _all(call: Call, name: str) -> list[str]:
    return list(call.req.query.get(name) or [])


def _unpack(archive: str, into: str) -> None:
    import tarfile

    try:
        with tarfile.open(archive, mode="r:*") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise UsageError(f"the build context is not a readable tar archive: {exc}") from None


async def build(call: Call) -> None:
    await build_from(call, request, docker=True)


async def build_from(call: Call, make: Any, docker: bool = False) -> None:
    """The body's context unpacked, `make(call, context)`'s request built and streamed;
    not `docker`: as Podman's service does (`POST /libpod/build`), the build's lines, the
    last the image's full id, which podman-remote reads as the id, and no Docker trailer."""
    base = tempfile.mkdtemp(prefix="scopebox-build-")
    try:
        archive = os.path.join(base, "context.tar")
        with open(archive, "wb") as f:
            async for data in call.conn.body_chunks(call.req):
                await blocking(f.write, data)
        context = os.path.join(base, "context")
        os.mkdir(context, 0o700)
        await blocking(_unpack, archive, context)
        os.unlink(archive)
        await _stream(call, make(call, context), docker)
    finally:
        await blocking(shutil.rmtree, base, True)


build.streams_body = True  # type: ignore[attr-defined]


async def _stream(call: Call, req: api.BuildRequest, docker: bool = True) -> None:
    def produce(emit: Any, _cancel_fd: int) -> None:
        r, w = os.pipe2(os.O_CLOEXEC)
        result: list[str] = []
        failed: list[BaseException] = []

        def run() -> None:
            try:
                result.append(api.build(call.settings, req, w))
            except BaseException as exc:  # handed to the stream below
                failed.append(exc)
            finally:
                os.close(w)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        try:
            rest = b""
            while data := os.read(r, 65536):
                if docker:
                    emit({"stream": data.decode(errors="replace")})
                    continue
                # Podman's: a line per message (podman-remote finds the id in the one that
                # begins with it)
                *lines, rest = (rest + data).split(b"\n")
                for line in lines:
                    emit({"stream": line.decode(errors="replace") + "\n"})
            if rest:
                emit({"stream": rest.decode(errors="replace")})
        finally:
            os.close(r)
            worker.join()
        if failed:
            raise failed[0]
        image_id = result[0]
        if not docker:  # Podman's last line: the full id, podman-remote's build result
            emit({"stream": f"{image_id}\n"})
            return
        emit({"aux": {"ID": f"sha256:{image_id}"}})
        emit({"stream": f"Successfully built {image_id[:12]}\n" if not req.quiet
              else f"sha256:{image_id}\n"})  # fmt: skip

    await call.conn.start_chunked(200, call.headers, "application/json")

    async def send(doc: dict[str, Any]) -> None:
        await call.conn.chunk(json.dumps(doc).encode() + b"\r\n")

    failed = await from_thread_each(produce, send)
    if failed is not None:
        message = str(failed) if isinstance(failed, ScopeboxError) else "build failed"
        detail: dict[str, Any] = {"message": message}
        code = getattr(failed, "exit_code", 125)
        if code != 125:  # a RUN's status: the docker CLI exits with it, as with Docker's
            detail["code"] = code
        await send({"errorDetail": detail, "error": message})
    await call.conn.end_chunked()


def add_routes(r: Router) -> None:
    r.add("POST", "/build", build)
