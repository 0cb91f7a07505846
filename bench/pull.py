"""Pull of a ~200 MiB multi-layer image from a local registry: scopebox vs `skopeo copy` (to an
OCI directory and to containers-storage) vs `podman pull`, interleaved, same run; and the
unpack throughput of one big layer.

    .venv/bin/python bench/pull.py [--runs 5] [--mib 200]

The registry is Debian's `docker-registry` on a loopback port (plain HTTP, so every tool gets
`--tls-verify=false`). Every run starts from an empty store, so each tool fetches, verifies and
stores (and, for scopebox and podman, unpacks) every layer. Run as root.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import registryhelp as rh  # noqa: E402

SCOPEBOX = [sys.executable, "-m", "supervisor"]
PODMAN = ["podman", "--events-backend", "file", "--storage-driver", "overlay"]
if not os.path.exists("/run/systemd/system"):
    PODMAN += ["--cgroup-manager", "cgroupfs"]


def data_layer(seed: int, mib: int) -> rh.Layer:
    """Files of mixed content (half random, half text-like), as real layers compress ~2:1."""
    rnd = random.Random(seed)
    t = rh.TarBuilder().dir(f"data{seed}")
    words = [bytes(rnd.choices(b"abcdefghijklmnop ", k=8)) for _ in range(512)]
    for i in range(mib):
        if i % 2:
            body = rnd.randbytes(1 << 20)
        else:
            body = b"\n".join(rnd.choices(words, k=(1 << 20) // 9))[: 1 << 20]
        t.file(f"data{seed}/f{i:04d}", body)
    return t.done()


def build_image(mib: int) -> rh.Image:
    per = max(1, mib // 4)
    return rh.Image([rh.busybox_layer(), *(data_layer(i, per) for i in range(4))])


def sh(cmd: list[str], **kw: object) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {res.returncode}: {res.stderr.strip()}")


def umount_under(path: Path) -> None:
    """containers-storage leaves its overlay home bind-mounted: undo the mounts we caused."""
    with open("/proc/self/mountinfo") as f:
        points = [ln.split()[4] for ln in f if ln.split()[4].startswith(f"{path}/")]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mib", type=int, default=200)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scopebox-bench-pull-", dir="/var/tmp"))
    try:
        return run(work, args.runs, args.mib)
    finally:
        umount_under(work)
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, runs: int, mib: int) -> int:
    t0 = time.perf_counter()
    img = build_image(mib)
    layout = rh.OciLayout(work / "oci")
    desc, _ = layout.add_image(img)
    layout.tag(desc, "big")
    blob_mib = sum(len(x.blob) for x in img.layers) / (1 << 20)
    tar_mib = sum(len(x.tar) for x in img.layers) / (1 << 20)
    print(
        f"image: {len(img.layers)} layers, {blob_mib:.0f} MiB compressed, {tar_mib:.0f} MiB"
        f" unpacked (built in {time.perf_counter() - t0:.1f}s)"
    )
    with rh.registry(work / "registry") as reg:
        rh.skopeo_push(work / "oci", "big", reg, "bench/big:v1")
        ref = f"{reg.host}/bench/big:v1"
        scratch = work / "scratch"
        conf = work / "registries.conf"
        conf.write_text("")

        def fresh() -> Path:
            umount_under(scratch)
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir()
            return scratch

        def scopebox() -> None:
            d = fresh()
            env = {
                **os.environ,
                "SCOPEBOX_ROOT": str(d / "root"),
                "SCOPEBOX_RUNROOT": str(d / "run"),
                "SCOPEBOX_REGISTRIES_CONF": str(conf),
            }
            sh([*SCOPEBOX, "pull", "-q", "--tls-verify=false", ref], env=env, cwd=REPO)

        def skopeo_oci() -> None:
            d = fresh()
            sh(
                [
                    "skopeo",
                    "copy",
                    "-q",
                    "--src-tls-verify=false",
                    f"docker://{ref}",
                    f"oci:{d}/oci:big",
                ]
            )

        def skopeo_storage() -> None:
            d = fresh()
            dest = f"containers-storage:[overlay@{d}/root+{d}/run]{ref}"
            sh(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}", dest])

        def podman() -> None:
            d = fresh()
            sh(
                [
                    *PODMAN,
                    "--root",
                    f"{d}/root",
                    "--runroot",
                    f"{d}/run",
                    "pull",
                    "-q",
                    "--tls-verify=false",
                    ref,
                ]
            )

        fns: dict[str, Callable[[], None]] = {
            "scopebox pull": scopebox,
            "podman pull": podman,
            "skopeo copy (containers-storage)": skopeo_storage,
            "skopeo copy (oci dir)": skopeo_oci,
        }
        times: dict[str, list[float]] = {k: [] for k in fns}
        for fn in fns.values():
            fn()  # warm the page cache and the registry
        for _ in range(runs):
            for name, fn in fns.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
        fresh()
        print(f"\npull of {ref} ({blob_mib:.0f} MiB), median of {runs} interleaved runs:")
        for name, xs in times.items():
            m = median(xs)
            print(f"  {name:34s} {m:6.2f} s   {blob_mib / m:6.1f} MiB/s   (min {min(xs):.2f})")
        unpack(work, img)
    return 0


def unpack(work: Path, img: rh.Image) -> None:
    """scopebox's layer unpack alone (gzip + tar in a chrooted child) vs GNU tar."""
    from supervisor.layers import unpack_layer

    big = max(img.layers, key=lambda x: len(x.tar))
    blob = work / "layer.tar.gz"
    blob.write_bytes(big.blob)
    mib = len(big.tar) / (1 << 20)
    ours, gnu = [], []
    for _ in range(3):
        d = work / "unpack"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
        t = time.perf_counter()
        unpack_layer(str(blob), str(d))
        ours.append(time.perf_counter() - t)
        shutil.rmtree(d)
        d.mkdir()
        t = time.perf_counter()
        subprocess.run(["tar", "-xzf", str(blob), "-C", str(d)], check=True)
        gnu.append(time.perf_counter() - t)
        shutil.rmtree(d)
    print(f"\nunpack of one {mib:.0f} MiB layer (gzip), median of 3:")
    print(f"  scopebox unpack_layer   {mib / median(ours):6.1f} MiB/s")
    print(f"  GNU tar -xzf            {mib / median(gnu):6.1f} MiB/s")


if __name__ == "__main__":
    raise SystemExit(main())
