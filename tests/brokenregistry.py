"""FAKE, by design: a deliberately broken proxy in front of a real registry, for misbehaviour a
real registry does not produce (a connection closed half-way through a blob, wrong bytes, an
oversized manifest). Everything it does not sabotage is forwarded to the real registry."""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Sabotage:
    truncate_blob: str | None = None  # digest: send half, then close the connection
    truncate_times: int = 1
    corrupt_blob: str | None = None  # digest: same length, wrong bytes
    huge_manifest: bool = False  # a manifest body over the 4 MiB cap
    stall_blob: str | None = None  # digest: send half, then hang until `release` is set
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hits: list[str] = field(default_factory=list)


class BrokenRegistry:
    def __init__(self, upstream: str, sabotage: Sabotage) -> None:
        self.upstream = upstream
        self.sabotage = sabotage
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                outer._forward(self, head=True)

            def do_GET(self) -> None:
                outer._forward(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.sabotage.release.set()
        self.server.shutdown()
        self.server.server_close()

    def _forward(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        s = self.sabotage
        s.hits.append(h.path)
        if s.huge_manifest and "/manifests/" in h.path:
            body = b'{"schemaVersion": 2, "pad": "' + b"x" * (5 << 20) + b'"}'
            h.send_response(200)
            h.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if not head:
                h.wfile.write(body)
            return
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        headers = {k: v for k, v in h.headers.items() if k.lower() in ("accept", "authorization")}
        conn.request("HEAD" if head else "GET", h.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if s.truncate_blob and s.truncate_times > 0 and h.path.endswith(s.truncate_blob):
            s.truncate_times -= 1
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        if s.stall_blob and h.path.endswith(s.stall_blob):
            h.send_response(200)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body[: len(body) // 2])
            h.wfile.flush()
            s.stalled.set()
            s.release.wait(60)
            h.close_connection = True
            return
        if s.corrupt_blob and h.path.endswith(s.corrupt_blob):
            body = bytes(b ^ 0x5A for b in body)
        h.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date"):
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head:
            h.wfile.write(body)
