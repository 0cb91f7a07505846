"""A real registry (Debian's `docker-registry`, the CNCF distribution registry) on a loopback
port, optionally with htpasswd auth and TLS from a throwaway CA; test images written as OCI
layouts and pushed by `skopeo`, an independent implementation."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"docker-registry did not listen on {port}")


@dataclass
class Registry:
    """A running `docker-registry serve`: `host` is `127.0.0.1:PORT`."""

    host: str
    tls: bool
    user: str | None = None
    password: str | None = None
    ca: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def creds(self) -> str | None:
        return f"{self.user}:{self.password}" if self.user else None

    def skopeo_dest(self) -> list[str]:
        args = ["--dest-tls-verify=false"] if not self.tls else ["--dest-cert-dir", self.cert_dir]
        if self.creds:
            args += ["--dest-creds", self.creds]
        return args

    def skopeo_src(self) -> list[str]:
        args = ["--src-tls-verify=false"] if not self.tls else ["--src-cert-dir", self.cert_dir]
        if self.creds:
            args += ["--src-creds", self.creds]
        return args

    @property
    def cert_dir(self) -> str:
        assert self.ca
        return str(Path(self.ca).parent / "certs.d")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def make_ca(d: Path) -> tuple[str, str, str]:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost it signed."""
    d.mkdir(parents=True, exist_ok=True)
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)  # noqa: E731
    run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=scopebox test CA",
    )
    run(
        "openssl",
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(
        "openssl",
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    certs = d / "certs.d"
    certs.mkdir(exist_ok=True)
    shutil.copy(d / "ca.crt", certs / "ca.crt")
    return str(d / "ca.crt"), str(d / "server.crt"), str(d / "server.key")


def start_registry(
    base: Path,
    *,
    tls: bool = False,
    auth: tuple[str, str] | None = None,
    token: tuple[str, str] | None = None,
) -> Registry:
    """`auth`: htpasswd user and password; `token`: (realm, signing certificate) of a token
    server (the registry then wants bearer tokens, see tests/tokenserver.py)."""
    base.mkdir(parents=True, exist_ok=True)
    port = free_port()
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {base / 'data'}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: 127.0.0.1:{port}",
    ]
    ca = None
    if tls:
        ca, crt, key = make_ca(base / "pki")
        lines += ["  tls:", f"    certificate: {crt}", f"    key: {key}"]
    if auth:
        pw = subprocess.run(
            ["htpasswd", "-nbB", auth[0], auth[1]], check=True, capture_output=True, text=True
        ).stdout.strip()
        (base / "htpasswd").write_text(pw + "\n")
        lines += [
            "auth:",
            "  htpasswd:",
            "    realm: scopebox-test",
            f"    path: {base / 'htpasswd'}",
        ]
    if token:
        from tests.tokenserver import ISSUER, SERVICE

        lines += [
            "auth:",
            "  token:",
            f"    realm: {token[0]}",
            f"    service: {SERVICE}",
            f"    issuer: {ISSUER}",
            f"    rootcertbundle: {token[1]}",
        ]
    (base / "config.yml").write_text("\n".join(lines) + "\n")
    log = base / "registry.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(base / "config.yml")],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    reg = Registry(f"127.0.0.1:{port}", tls, *(auth or (None, None)), ca=ca, proc=proc, log=log)
    try:
        wait_port(port, proc)
    except BaseException:
        reg.stop()
        raise
    return reg


# -- images ---------------------------------------------------------------------------------


@dataclass
class Layer:
    tar: bytes
    gzip: bool = True

    @property
    def diff_id(self) -> str:
        return "sha256:" + hashlib.sha256(self.tar).hexdigest()

    @property
    def blob(self) -> bytes:
        return gzip.compress(self.tar, 1, mtime=0) if self.gzip else self.tar


class TarBuilder:
    def __init__(self) -> None:
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115

    def dir(self, name: str, mode: int = 0o755) -> TarBuilder:
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode = tarfile.DIRTYPE, mode
        self.tar.addfile(ti)
        return self

    def file(self, name: str, data: bytes, mode: int = 0o644) -> TarBuilder:
        ti = tarfile.TarInfo(name)
        ti.size, ti.mode = len(data), mode
        self.tar.addfile(ti, io.BytesIO(data))
        return self

    def symlink(self, name: str, target: str) -> TarBuilder:
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
        self.tar.addfile(ti)
        return self

    def hardlink(self, name: str, target: str) -> TarBuilder:
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, target, 0o644
        self.tar.addfile(ti)
        return self

    def done(self, gzip: bool = True) -> Layer:
        self.tar.close()
        return Layer(self.buf.getvalue(), gzip)


def busybox_layer() -> Layer:
    bb = shutil.which("busybox")
    assert bb, "busybox-static is needed"
    t = TarBuilder()
    for d in ("bin", "etc", "root", "proc", "sys", "dev", "home", "old"):
        t.dir(d)
    t.dir("tmp", 0o1777)
    t.file("bin/busybox", Path(bb).read_bytes(), 0o755)
    applets = subprocess.run([bb, "--list"], capture_output=True, text=True).stdout.split()
    for a in applets:
        if a != "busybox":
            t.symlink(f"bin/{a}", "busybox")
    t.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    t.file("etc/group", b"root:x:0:\n")
    t.file("old/gone", b"removed by the next layer\n")
    t.file("old/kept", b"kept\n")
    return t.done()


@dataclass
class Image:
    layers: list[Layer]
    cmd: list[str] = field(default_factory=lambda: ["sh"])
    arch: str = "amd64"
    variant: str = ""

    def config(self) -> bytes:
        cfg = {
            "created": "2026-01-01T00:00:00Z",
            "architecture": self.arch,
            "os": "linux",
            "config": {"Env": [PATH_ENV], "Cmd": self.cmd},
            "rootfs": {"type": "layers", "diff_ids": [x.diff_id for x in self.layers]},
            "history": [
                {"created": "2026-01-01T00:00:00Z", "created_by": "tests"} for _ in self.layers
            ],
        }
        if self.variant:
            cfg["variant"] = self.variant
        return json.dumps(cfg, sort_keys=True).encode()


def two_layer_image(marker: str = "amd64", arch: str = "amd64") -> Image:
    """busybox, then a layer with a whiteout, an opaque dir, a hardlink and a marker file."""
    top = (
        TarBuilder()
        .dir("old")
        .file("old/.wh.gone", b"")
        .dir("data")
        .file("data/a", b"hardlinked content\n")
        .hardlink("data/b", "data/a")
        .file("etc/arch", marker.encode() + b"\n")
        .done(gzip=False)
    )
    return Image([busybox_layer(), top], arch=arch)


class OciLayout:
    """An OCI image layout directory, as `skopeo copy oci:DIR:TAG` reads it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.index: list[dict[str, object]] = []

    def blob(self, data: bytes) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (self.root / "blobs" / "sha256" / digest).write_bytes(data)
        return {"digest": f"sha256:{digest}", "size": len(data)}

    def add_image(self, img: Image) -> tuple[dict[str, object], bytes]:
        layers = [
            {"mediaType": LAYER_GZIP if x.gzip else LAYER_TAR, **self.blob(x.blob)}
            for x in img.layers
        ]
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, **self.blob(img.config())},
                "layers": layers,
            }
        ).encode()
        return {"mediaType": OCI_MANIFEST, **self.blob(manifest)}, manifest

    def tag(self, desc: dict[str, object], tag: str) -> None:
        self.index.append({**desc, "annotations": {"org.opencontainers.image.ref.name": tag}})
        (self.root / "index.json").write_text(
            json.dumps({"schemaVersion": 2, "manifests": self.index})
        )

    def add_list(self, imgs: list[Image]) -> dict[str, object]:
        entries = []
        for img in imgs:
            desc, _ = self.add_image(img)
            plat = {"os": "linux", "architecture": img.arch}
            if img.variant:
                plat["variant"] = img.variant
            entries.append({**desc, "platform": plat})
        data = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries})
        return {"mediaType": OCI_INDEX, **self.blob(data.encode())}


def skopeo_push(
    layout: Path, tag: str, reg: Registry, repo: str, all_: bool = False, docker: bool = False
) -> None:
    """`docker`: converted to a Docker schema 2 manifest (and gzip layers) on the way."""
    cmd = [
        "skopeo",
        "copy",
        "-q",
        *(["--all"] if all_ else []),
        *(["--format", "v2s2"] if docker else []),
        *reg.skopeo_dest(),
        f"oci:{layout}:{tag}",
        f"docker://{reg.host}/{repo}",
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr


def skopeo_inspect(reg: Registry, ref: str, raw: bool = False) -> subprocess.CompletedProcess[str]:
    cmd = [
        "skopeo",
        "inspect",
        *(["--raw"] if raw else []),
        *[a.replace("--src-", "--") for a in reg.skopeo_src()],
        f"docker://{reg.host}/{ref}",
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def registry(base: Path, **kw: object) -> Iterator[Registry]:
    reg = start_registry(base, **kw)  # type: ignore[arg-type]
    try:
        yield reg
    finally:
        reg.stop()
