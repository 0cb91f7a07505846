"""Layer unpack throughput: scopebox vs GNU tar, umoci and podman load, same layer, same run.

    python bench/unpack.py [--mib 256] [--runs 3]

Builds one big gzip'd layer from the host's /usr (real files: binaries, libraries, text,
symlinks, hardlinks), wraps it in a docker-archive and an OCI layout, then times (median of
interleaved runs, MiB/s of uncompressed tar):
  - scopebox `unpack_layer` (the forked, chrooted extractor alone: gunzip + checks + write)
  - scopebox `load` (the CLI: blob copy + verify + unpack + record)
  - `tar -xzf` (GNU tar, no checks: the floor)
  - `umoci raw unpack` (Go, from an OCI layout)
  - `podman load` (containers/image + storage, private root, overlay driver)
Run as root on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from supervisor.layers import unpack_layer  # noqa: E402

SCOPEBOX = [sys.executable, "-m", "supervisor"]


def build_layer(work: Path, mib: int) -> tuple[Path, bytes]:
    """A tar of /usr files up to `mib` MiB, then gzip'd (level 6, as registries serve)."""
    raw = work / "layer.tar"
    budget = mib << 20
    with tarfile.open(raw, "w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk("/usr"):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    tar.add(path, arcname=path.lstrip("/"), recursive=False)
                except OSError:
                    continue
                if tar.offset >= budget:
                    break
            if tar.offset >= budget:
                break
    gz = work / "layer.tar.gz"
    with open(raw, "rb") as src, open(gz, "wb") as dst:
        subprocess.run(["gzip", "-6", "-c"], stdin=src, stdout=dst, check=True)
    return gz, raw.read_bytes()


def archives(work: Path, gz: Path, raw: bytes) -> tuple[Path, Path]:
    diff = hashlib.sha256(raw).hexdigest()
    cfg = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff}"]},
        }
    ).encode()
    docker = work / "docker.tar"
    with tarfile.open(docker, "w") as tar:
        for name, data in (
            ("c.json", cfg),
            (
                "manifest.json",
                json.dumps(
                    [{"Config": "c.json", "RepoTags": ["localhost/big:1"], "Layers": ["l.tar.gz"]}]
                ).encode(),
            ),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        tar.add(gz, arcname="l.tar.gz")
    layout = work / "oci"
    (layout / "blobs" / "sha256").mkdir(parents=True)
    gz_digest = hashlib.sha256(gz.read_bytes()).hexdigest()
    shutil.copy(gz, layout / "blobs" / "sha256" / gz_digest)
    cfg_digest = hashlib.sha256(cfg).hexdigest()
    (layout / "blobs" / "sha256" / cfg_digest).write_bytes(cfg)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": f"sha256:{cfg_digest}",
                "size": len(cfg),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": f"sha256:{gz_digest}",
                    "size": gz.stat().st_size,
                }
            ],
        }
    ).encode()
    m_digest = hashlib.sha256(manifest).hexdigest()
    (layout / "blobs" / "sha256" / m_digest).write_bytes(manifest)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(
        json.dumps(
            {
                "schemaVersion": 2,
                "manifests": [
                    {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": f"sha256:{m_digest}",
                        "size": len(manifest),
                        "annotations": {"org.opencontainers.image.ref.name": "big"},
                    }
                ],
            }
        )
    )
    return docker, layout


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ns = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sb-unpack-", dir="/var/tmp"))
    runroot = tempfile.mkdtemp(prefix="sbpm-")
    try:
        gz, raw = build_layer(work, ns.mib)
        size_mib = len(raw) / (1 << 20)
        docker, layout = archives(work, gz, raw)
        env = {
            **os.environ,
            "SCOPEBOX_ROOT": str(work / "sb"),
            "SCOPEBOX_RUNROOT": str(work / "sbrun"),
        }
        podman = ["podman", "--root", str(work / "pm"), "--runroot", runroot]

        def sb_unpack() -> None:
            unpack_layer(str(gz), str(fresh(work / "out-sb")), "gzip")

        def sb_load() -> None:
            subprocess.run(
                [*SCOPEBOX, "load", "-i", str(docker)], env=env, check=True, capture_output=True
            )
            subprocess.run(
                [*SCOPEBOX, "rmi", "localhost/big:1"], env=env, check=True, capture_output=True
            )

        def gnu_tar() -> None:
            subprocess.run(["tar", "-xzf", str(gz), "-C", str(fresh(work / "out-tar"))], check=True)

        def umoci() -> None:
            out = work / "out-umoci"
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(
                ["umoci", "raw", "unpack", "--image", f"{layout}:big", str(out)],
                check=True,
                capture_output=True,
            )

        def podman_load() -> None:
            subprocess.run(
                [*podman, "load", "-q", "-i", str(docker)], check=True, capture_output=True
            )
            subprocess.run([*podman, "rmi", "localhost/big:1"], check=True, capture_output=True)

        fns: dict[str, Callable[[], None]] = {
            "scopebox unpack_layer": sb_unpack,
            "scopebox load": sb_load,
            "GNU tar -xzf": gnu_tar,
        }
        if shutil.which("umoci"):
            fns["umoci raw unpack"] = umoci
        if shutil.which("podman"):
            fns["podman load"] = podman_load
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(ns.runs):
            for name, fn in fns.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        print(
            f"layer: {size_mib:.0f} MiB uncompressed, {gz.stat().st_size / (1 << 20):.0f} MiB"
            f" gzip; median of {ns.runs} interleaved runs"
        )
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"  {name:24s} {med:6.2f} s  {size_mib / med:7.1f} MiB/s")
    finally:
        subprocess.run(
            ["podman", "--root", str(work / "pm"), "--runroot", runroot, "system", "reset", "-f"],
            capture_output=True,
        )
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(runroot, ignore_errors=True)


if __name__ == "__main__":
    main()
