"""Pull, push, login against a real registry (Debian's `docker-registry`) on a loopback port,
plain HTTP and TLS with htpasswd auth; images pushed and checked by `skopeo`; misbehaviour a
real registry does not produce comes from the named fake in tests/brokenregistry.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests import registryhelp as rh
from tests.brokenregistry import BrokenRegistry, Sabotage
from tests.clihelp import REPO, SCOPEBOX, Scopebox
from tests.tokenserver import TokenServer

pytestmark = pytest.mark.host

if not (shutil.which("docker-registry") and shutil.which("skopeo") and shutil.which("htpasswd")):
    pytest.skip(
        "needs docker-registry, skopeo and apache2-utils (apt-get install docker-registry"
        " skopeo apache2-utils)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An OCI layout: `v1` (busybox + a layer with whiteout, hardlink, marker), `multi` (an
    index of amd64 and arm64 images), `v2` (another marker)."""
    layout = rh.OciLayout(tmp_path_factory.mktemp("oci"))
    desc, _ = layout.add_image(rh.two_layer_image())
    layout.tag(desc, "v1")
    layout.tag(
        layout.add_list([rh.two_layer_image("amd64"), rh.two_layer_image("arm64", "arm64")]),
        "multi",
    )
    desc, _ = layout.add_image(rh.two_layer_image("second"))
    layout.tag(desc, "v2")
    return layout.root


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory, images: Path) -> Iterator[rh.Registry]:
    with rh.registry(tmp_path_factory.mktemp("reg")) as r:
        rh.skopeo_push(images, "v1", r, "test/bb:v1")
        rh.skopeo_push(images, "multi", r, "test/multi:latest", all_=True)
        rh.skopeo_push(images, "v1", r, "test/docker:v1", docker=True)
        yield r


@pytest.fixture(scope="module")
def treg(tmp_path_factory: pytest.TempPathFactory, images: Path) -> Iterator[rh.Registry]:
    with rh.registry(tmp_path_factory.mktemp("treg"), tls=True, auth=("alice", "s3cret")) as r:
        rh.skopeo_push(images, "v1", r, "test/bb:v1")
        yield r


@pytest.fixture
def rsb(tmp_path: Path) -> Iterator[Scopebox]:
    """A private store, auth file, registries.conf (empty) and certs.d per test."""
    (tmp_path / "registries.conf").write_text("")
    box = Scopebox(
        {
            "SCOPEBOX_ROOT": str(tmp_path / "root"),
            "SCOPEBOX_RUNROOT": str(tmp_path / "run"),
            "REGISTRY_AUTH_FILE": str(tmp_path / "auth.json"),
            "DOCKER_CONFIG": str(tmp_path / "docker"),
            "SCOPEBOX_REGISTRIES_CONF": str(tmp_path / "registries.conf"),
            "SCOPEBOX_CERTS_D": str(tmp_path / "certs.d"),
        }
    )
    yield box
    box("rm", "-a", "-f")
    with open("/proc/self/mountinfo") as f:
        assert [ln for ln in f if str(tmp_path) in ln] == []


def blob_files(sb: Scopebox) -> list[str]:
    return sorted(os.listdir(d)) if os.path.isdir(d := f"{sb.root}/blobs/sha256") else []


def tmp_files(sb: Scopebox) -> list[str]:
    return os.listdir(d) if os.path.isdir(d := f"{sb.root}/blobs/.tmp") else []


def layer_digests(reg: rh.Registry, ref: str) -> list[str]:
    raw = rh.skopeo_inspect(reg, ref, raw=True)
    assert raw.returncode == 0, raw.stderr
    return [str(x["digest"]) for x in json.loads(raw.stdout)["layers"]]


def assert_nothing_stored(sb: Scopebox) -> None:
    assert sb("images", "-q").stdout == ""
    assert tmp_files(sb) == []


# -- pull and run ----------------------------------------------------------------------------


def test_pull_of_a_skopeo_pushed_image_runs(rsb: Scopebox, reg: rh.Registry) -> None:
    res = rsb("pull", "--tls-verify=false", f"{reg.host}/test/bb:v1")
    image_id = res.stdout.strip()
    assert len(image_id) == 64
    assert blobs_sorted(res.stderr.splitlines()) == pull_words(
        f"{reg.host}/test/bb:v1", reg, image_id)
    listed = rsb("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout
    assert f"{reg.host}/test/bb:v1 {image_id[:12]}" in listed
    out = rsb(
        "run",
        "--rm",
        f"{reg.host}/test/bb:v1",
        "sh",
        "-c",
        "cat /data/b /etc/arch; stat -c %i /data/a /data/b",
    ).stdout.split("\n")
    assert out[:2] == ["hardlinked content", "amd64"]
    assert out[2] == out[3]  # the hardlink is a hardlink
    # Again: every blob is already there, nothing is fetched, the same image results.
    mark = reg.log.stat().st_size if reg.log else 0
    assert rsb("pull", "--tls-verify=false", f"{reg.host}/test/bb:v1").stdout.strip() == image_id
    assert "/blobs/" not in reg.log.read_text()[mark:] if reg.log else True


def test_progress_on_a_terminal_only(rsb: Scopebox, reg: rh.Registry) -> None:
    """stderr on a terminal: a line per layer with sizes and status; stdout stays the id."""
    code, out, tty = _on_a_terminal(rsb, "pull", "--tls-verify=false", f"{reg.host}/test/bb:v1")
    assert code == 0 and len(out.strip()) == 64
    assert f"Trying to pull {reg.host}/test/bb:v1..." in tty
    for digest in layer_digests(reg, "test/bb:v1"):
        assert re.search(
            rf"Copying blob {digest[7:19]}  [0-9.]+(?:B|KiB|MiB) / [0-9.]+(?:B|KiB|MiB)  done", tty
        )
    res = rsb("pull", "--tls-verify=false", f"{reg.host}/test/bb:v1")  # not a terminal
    assert blobs_sorted(res.stderr.splitlines()) == pull_words(
        f"{reg.host}/test/bb:v1", reg, out.strip())
    res = rsb("pull", "-q", "--tls-verify=false", f"{reg.host}/test/bb:v1")
    assert res.stderr == ""


def pull_words(ref: str, reg: rh.Registry, image_id: str) -> list[str]:
    """Podman's pull lines where no terminal is (the same when every blob is there); the
    blobs' lines in sorted order (they come as the parallel copies go)."""
    repo_tag = ref.split("/", 1)[1]
    return [f"Trying to pull {ref}...", "Getting image source signatures",
            *sorted(f"Copying blob {d}" for d in layer_digests(reg, repo_tag)),
            f"Copying config sha256:{image_id}", "Writing manifest to image destination",
            "Storing signatures"]  # fmt: skip


def blobs_sorted(lines: list[str]) -> list[str]:
    blobs = sorted(line for line in lines if line.startswith("Copying blob "))
    it = iter(blobs)
    return [next(it) if line.startswith("Copying blob ") else line for line in lines]


PULL_WORDS = ("Trying to pull ", "Getting image source signatures", "Copying blob ",
              "Copying config ", "Writing manifest to image destination", "Storing signatures")


def errors(res: subprocess.CompletedProcess[str]) -> str:
    """stderr without a pull's progress words (Podman prints them before its error too)."""
    return "".join(line for line in res.stderr.splitlines(keepends=True)
                   if not line.startswith(PULL_WORDS))


def test_docker_schema2_and_pull_by_digest(rsb: Scopebox, reg: rh.Registry) -> None:
    raw = json.loads(rh.skopeo_inspect(reg, "test/docker:v1", raw=True).stdout)
    assert raw["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    ref = f"{reg.host}/test/docker:v1"
    image_id = rsb("pull", "--tls-verify=false", ref).stdout.strip()
    assert rsb("run", "--rm", ref, "cat", "/data/b").stdout == "hardlinked content\n"
    digest = json.loads(rh.skopeo_inspect(reg, "test/docker:v1").stdout)["Digest"]
    rsb("rmi", ref)
    by_digest = f"{reg.host}/test/docker@{digest}"
    assert rsb("pull", "--tls-verify=false", by_digest).stdout.strip() == image_id
    assert rsb("run", "--rm", image_id, "cat", "/etc/arch").stdout == "amd64\n"
    res = rsb(
        "pull", "--tls-verify=false", f"{reg.host}/test/docker@sha256:{'0' * 64}", check=False
    )
    assert res.returncode == 125 and "manifest unknown" in res.stderr


def test_pulled_layers_apply_whiteouts(rsb: Scopebox, reg: rh.Registry) -> None:
    rsb("pull", "-q", "--tls-verify=false", f"{reg.host}/test/bb:v1")
    assert rsb("run", "--rm", f"{reg.host}/test/bb:v1", "ls", "-a", "/old").stdout.split() == [
        ".",
        "..",
        "kept",
    ]


def test_manifest_list_picks_the_platform(rsb: Scopebox, reg: rh.Registry) -> None:
    ref = f"{reg.host}/test/multi"
    rsb("pull", "--tls-verify=false", ref)
    assert rsb("run", "--rm", ref, "cat", "/etc/arch").stdout == "amd64\n"
    rsb("pull", "--tls-verify=false", "--platform", "linux/arm64", ref)
    assert rsb("run", "--rm", ref, "cat", "/etc/arch").stdout == "arm64\n"
    res = rsb("pull", "--tls-verify=false", "--platform", "linux/s390x", ref, check=False)
    assert res.returncode == 125
    assert res.stderr.strip().splitlines() == [
        f"Trying to pull {ref}...",
        "Error: no image found in manifest list for platform linux/s390x",
    ]


def test_unknown_image_and_plain_http_refused(rsb: Scopebox, reg: rh.Registry) -> None:
    res = rsb("pull", "--tls-verify=false", f"{reg.host}/test/nope", check=False)
    assert res.returncode == 125
    assert (
        errors(res)
        == f"Error: {reg.host}/test/nope:latest: manifest unknown (no such image or tag)\n"
    )
    res = rsb("pull", f"{reg.host}/test/bb:v1", check=False)
    assert res.returncode == 125 and "--tls-verify=false" in res.stderr
    assert len(errors(res).splitlines()) == 1
    assert_nothing_stored(rsb)
    assert blob_files(rsb) == []


# -- auth and TLS ----------------------------------------------------------------------------


def test_tls_and_htpasswd_auth(rsb: Scopebox, treg: rh.Registry, tmp_path: Path) -> None:
    ref = f"{treg.host}/test/bb:v1"
    res = rsb("pull", ref, check=False)
    assert res.returncode == 125 and "certificate verify failed" in res.stderr
    assert f"certs.d/{treg.host}/ca.crt" in res.stderr
    certs = tmp_path / "certs.d" / treg.host
    certs.mkdir(parents=True)
    shutil.copy(str(treg.ca), certs / "ca.crt")
    res = rsb("pull", ref, check=False)
    assert res.returncode == 125
    assert (
        errors(res) == f"Error: {treg.host}: authentication required (scopebox login {treg.host})\n"
    )
    res = rsb("login", "-u", "alice", "-p", "wrong", treg.host, check=False)
    assert res.returncode == 125
    assert (
        errors(res) == f"Error: {treg.host}: authentication failed: invalid username or password\n"
    )
    assert not (tmp_path / "auth.json").exists()
    res = rsb("pull", "--creds", "alice:wrong", ref, check=False)
    assert res.returncode == 125 and "invalid username or password" in res.stderr
    assert_nothing_stored(rsb)

    res = rsb("login", "-u", "alice", "--password-stdin", treg.host, input="s3cret\n")
    assert res.stdout == "Login Succeeded!\n"
    auths = json.loads((tmp_path / "auth.json").read_text())["auths"]
    assert list(auths) == [treg.host]  # the Podman/Docker format
    assert rsb("login", "--get-login", treg.host).stdout == "alice\n"
    rsb("pull", ref)
    digest_file = tmp_path / "digest"
    rsb("push", ref, f"{treg.host}/pushed/bb:v1", "--digestfile", str(digest_file))
    seen = rh.skopeo_inspect(treg, "pushed/bb:v1")
    assert seen.returncode == 0, seen.stderr
    assert json.loads(seen.stdout)["Digest"] == digest_file.read_text()

    assert rsb("logout", treg.host).stdout == f"Removed login credentials for {treg.host}\n"
    res = rsb("logout", treg.host, check=False)
    assert (res.returncode, res.stderr) == (125, f"Error: not logged into {treg.host}\n")
    res = rsb("login", "--get-login", treg.host, check=False)
    assert res.returncode == 125

    # Docker's file is read when Podman's has nothing for the registry.
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(
        json.dumps({"auths": {f"https://{treg.host}": {"auth": "YWxpY2U6czNjcmV0"}}})
    )
    rsb("rmi", ref)
    rsb("pull", ref)
    res = rsb("logout", treg.host, check=False)
    assert res.returncode == 125 and "docker logout" in res.stderr


def test_bearer_token_auth(rsb: Scopebox, images: Path, tmp_path: Path) -> None:
    """The registry wants tokens from a realm: anonymous pull, authenticated push with a
    cross-repository mount (a token for both repositories), bad passwords refused."""
    tok = TokenServer(tmp_path / "token")
    try:
        with rh.registry(tmp_path / "breg", token=(tok.realm, str(tok.cert))) as breg:
            breg.user, breg.password = "alice", "s3cret"  # skopeo's credentials
            rh.skopeo_push(images, "v1", breg, "team/bb:v1")
            ref = f"{breg.host}/team/bb:v1"
            rsb("pull", "-q", "--tls-verify=false", ref)  # anonymous: pull only
            assert rsb("run", "--rm", ref, "cat", "/etc/arch").stdout == "amd64\n"
            res = rsb("pull", "--tls-verify=false", "--creds", "alice:bad", ref, check=False)
            assert res.returncode == 125
            assert (
                errors(res)
                == f"Error: {breg.host}: authentication failed: invalid username or password\n"
            )
            copy = f"{breg.host}/team/copy:v1"
            res = rsb("push", "--tls-verify=false", ref, copy, check=False)
            assert res.returncode == 125 and f"scopebox login {breg.host}" in res.stderr
            assert len(errors(res).splitlines()) == 1
            res = rsb(
                "login", "--tls-verify=false", "-u", "alice", "-p", "bad", breg.host, check=False
            )
            assert res.returncode == 125 and "invalid username or password" in res.stderr
            rsb("login", "--tls-verify=false", "-u", "alice", "-p", "s3cret", breg.host)
            digest_file = tmp_path / "digest"
            rsb("push", "--tls-verify=false", ref, copy, "--digestfile", str(digest_file))
            seen = rh.skopeo_inspect(breg, "team/copy:v1")
            assert seen.returncode == 0, seen.stderr
            assert json.loads(seen.stdout)["Digest"] == digest_file.read_text()
            both = sorted(["repository:team/copy:pull,push", "repository:team/bb:pull"])
            assert any(sorted(q.get("scope", [])) == both for q in tok.requests)
    finally:
        tok.close()


# -- push ------------------------------------------------------------------------------------


def test_push_is_read_back_by_skopeo(rsb: Scopebox, reg: rh.Registry, tmp_path: Path) -> None:
    src = f"{reg.host}/test/bb:v1"
    rsb("pull", "-q", "--tls-verify=false", src)
    mark = reg.log.stat().st_size if reg.log else 0
    digest_file = tmp_path / "digest"
    rsb(
        "push",
        "--tls-verify=false",
        src,
        f"{reg.host}/other/bb:x",
        "--digestfile",
        str(digest_file),
    )
    seen = rh.skopeo_inspect(reg, "other/bb:x")
    assert seen.returncode == 0, seen.stderr
    assert json.loads(seen.stdout)["Digest"] == digest_file.read_text()
    # The layers were mounted from test/bb (same registry), not uploaded again.
    log = reg.log.read_text()[mark:] if reg.log else ""
    assert log.count("mount=sha256") == 3 and "PATCH" not in log
    # Without a destination the image goes back under its own name: every blob is there.
    # issue 19: push's flags that keep the image as stored change nothing; --format names the
    # stored manifest's type, the other type (a conversion) is refused before any connection
    stored = rsb("image", "inspect", "--format", "{{.ManifestType}}", src).stdout
    fmt, other_fmt = ("oci", "v2s2") if "oci" in stored else ("v2s2", "oci")
    res = rsb("push", "--tls-verify=false", "--format", other_fmt, src, check=False)
    assert res.returncode == 125 and "does not convert manifests" in res.stderr
    mark = reg.log.stat().st_size if reg.log else 0
    rsb("push", "--tls-verify=false", "--format", fmt, "--compress", "--remove-signatures",
        "--disable-content-trust", "--compression-format", "gzip", src)
    log = reg.log.read_text()[mark:] if reg.log else ""
    assert log.count('"HEAD /v2/test/bb/blobs/') == 3 and "uploads" not in log
    res = rsb("push", src, "just-a-name", check=False)
    assert res.returncode == 125 and "does not name a registry" in res.stderr
    res = rsb("push", "no-such-local-image", f"{reg.host}/x/y", check=False)
    assert (res.returncode, res.stderr) == (125, "Error: no such image: 'no-such-local-image'\n")
    # skopeo copies it out again, verifying every blob.
    out = tmp_path / "out"
    res = subprocess.run(
        [
            "skopeo",
            "copy",
            "-q",
            "--src-tls-verify=false",
            f"docker://{reg.host}/other/bb:x",
            f"oci:{out}:x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr


def test_monolithic_and_chunked_upload(rsb: Scopebox, reg: rh.Registry, tmp_path: Path) -> None:
    """Uploads to a registry that has none of the blobs: one PUT each, or PATCH chunks (the
    path big blobs take) then a closing PUT."""
    from supervisor.paths import Paths
    from supervisor.registry.push import PushOptions, push
    from supervisor.store import Store

    rsb("pull", "-q", "--tls-verify=false", f"{reg.host}/test/bb:v1")
    store = Store(Paths(rsb.root, rsb.runroot))
    with rh.registry(tmp_path / "empty") as other:
        # Monolithic: one PUT per blob, the path every push to a fresh registry takes.
        rsb("push", "--tls-verify=false", f"{reg.host}/test/bb:v1", f"{other.host}/mono/bb:v1")
        assert other.log is not None
        log = other.log.read_text()
        assert log.count('"PUT /v2/mono/bb/blobs/uploads/') == 3 and "PATCH" not in log
        assert rh.skopeo_inspect(other, "mono/bb:v1").returncode == 0
        os.environ["SCOPEBOX_REGISTRIES_CONF"] = rsb.env["SCOPEBOX_REGISTRIES_CONF"]
        try:
            opts = PushOptions(f"{reg.host}/test/bb:v1", f"{other.host}/chunked/bb:v1", False)
            digest = push(store, replace(opts, chunk_size=64 << 10))
        finally:
            del os.environ["SCOPEBOX_REGISTRIES_CONF"]
        seen = rh.skopeo_inspect(other, "chunked/bb:v1")
        assert seen.returncode == 0 and json.loads(seen.stdout)["Digest"] == digest
        assert other.log is not None
        assert other.log.read_text().count("PATCH /v2/chunked/bb/blobs/uploads/") > 10


# -- registries.conf -------------------------------------------------------------------------


def test_registries_conf_search_alias_mirror_blocked(
    rsb: Scopebox, reg: rh.Registry, tmp_path: Path
) -> None:
    (tmp_path / "registries.conf").write_text(
        f'unqualified-search-registries = ["127.0.0.1:1", "{reg.host}"]\n'
        "[aliases]\n"
        f'"mybb" = "{reg.host}/test/bb"\n'
        "[[registry]]\n"
        f'location = "{reg.host}"\n'
        "insecure = true\n"
        "[[registry]]\n"
        'location = "127.0.0.1:9"\n'
        "blocked = true\n"
        "[[registry]]\n"
        'prefix = "mirrored.example/test"\n'
        'location = "mirrored.example/test"\n'
        "[[registry.mirror]]\n"
        f'location = "{reg.host}/test"\n'
        "insecure = true\n"
    )
    rsb("pull", "-q", "test/bb:v1")  # the first search registry is unreachable: the next one
    rsb("pull", "-q", "mybb:v1")
    rsb("pull", "-q", "mirrored.example/test/bb:v1")  # only the mirror exists
    names = rsb("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert sorted(names) == sorted([f"{reg.host}/test/bb:v1", "mirrored.example/test/bb:v1"])
    res = rsb("pull", "127.0.0.1:9/x/y", check=False)
    assert res.returncode == 125
    assert errors(res) == "Error: registry '127.0.0.1:9' is blocked in registries.conf\n"


# -- broken registries -----------------------------------------------------------------------


@pytest.fixture
def broken(reg: rh.Registry) -> Iterator[tuple[BrokenRegistry, Sabotage]]:
    sab = Sabotage()
    proxy = BrokenRegistry(reg.host, sab)
    yield proxy, sab
    proxy.close()


def test_connection_closed_midway_then_next_pull_completes(
    rsb: Scopebox, reg: rh.Registry, broken: tuple[BrokenRegistry, Sabotage]
) -> None:
    proxy, sab = broken
    big = layer_digests(reg, "test/bb:v1")[0]
    sab.truncate_blob = big
    ref = f"{proxy.host}/test/bb:v1"
    res = rsb("pull", "--tls-verify=false", ref, check=False)
    assert res.returncode == 125 and len(errors(res).splitlines()) == 1, res.stderr
    assert big in res.stderr
    assert_nothing_stored(rsb)
    assert big.removeprefix("sha256:") not in blob_files(rsb)
    rsb("pull", "--tls-verify=false", ref)
    assert rsb("run", "--rm", ref, "cat", "/data/a").stdout == "hardlinked content\n"


def test_pull_killed_midway_then_next_pull_completes(
    rsb: Scopebox, reg: rh.Registry, broken: tuple[BrokenRegistry, Sabotage]
) -> None:
    """SIGKILL while a layer streams: no image, no partial blob visible, the lock is free."""
    proxy, sab = broken
    big = layer_digests(reg, "test/bb:v1")[0]
    sab.stall_blob = big
    ref = f"{proxy.host}/test/bb:v1"
    proc = rsb.popen("pull", "--tls-verify=false", ref)
    assert sab.stalled.wait(60)
    proc.kill()
    proc.wait()
    sab.release.set()
    assert rsb("images", "-q").stdout == ""  # a killed writer's .tmp file may stay: pruned by age
    assert big.removeprefix("sha256:") not in blob_files(rsb)
    sab.stall_blob = None
    rsb("pull", "--tls-verify=false", ref)
    assert rsb("run", "--rm", ref, "cat", "/data/a").stdout == "hardlinked content\n"


def test_wrong_content_or_huge_manifest_stores_nothing(
    rsb: Scopebox, reg: rh.Registry, broken: tuple[BrokenRegistry, Sabotage]
) -> None:
    proxy, sab = broken
    big = layer_digests(reg, "test/bb:v1")[0]
    sab.corrupt_blob = big
    ref = f"{proxy.host}/test/bb:v1"
    res = rsb("pull", "--tls-verify=false", ref, check=False)
    assert res.returncode == 125
    assert errors(res).startswith("Error: blob content has digest sha256:")
    assert res.stderr.rstrip().endswith(f"expected {big}")
    assert_nothing_stored(rsb)
    assert big.removeprefix("sha256:") not in blob_files(rsb)
    sab.corrupt_blob, sab.huge_manifest = None, True
    res = rsb("pull", "--tls-verify=false", ref, check=False)
    assert res.returncode == 125
    assert "over the 4194304-byte limit" in res.stderr and len(errors(res).splitlines()) == 1


# -- concurrency -----------------------------------------------------------------------------


def test_concurrent_pulls_fetch_each_blob_once(rsb: Scopebox, reg: rh.Registry) -> None:
    ref = f"{reg.host}/test/multi"
    mark = reg.log.stat().st_size if reg.log else 0
    procs = [rsb.popen("pull", "--tls-verify=false", ref) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert outs[0][0] == outs[1][0]  # the same image id
    log = reg.log.read_text()[mark:] if reg.log else ""
    raw = json.loads(rh.skopeo_inspect(reg, "test/multi", raw=True).stdout)
    amd64 = next(m for m in raw["manifests"] if m["platform"]["architecture"] == "amd64")
    layers = layer_digests(reg, f"test/multi@{amd64['digest']}")
    for digest in layers:
        assert log.count(f'"GET /v2/test/multi/blobs/{digest} ') == 1, digest


def _on_a_terminal(sb: Scopebox, *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and what reached stderr, a pty."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([*SCOPEBOX, *argv], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL, env=sb.environ(), cwd=REPO, text=True)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode()


def test_run_pull_progress_and_quiet(rsb: Scopebox, reg: rh.Registry) -> None:
    """issue 19: run/create show a pull's progress as `pull` does (stderr a terminal), and
    -q/--quiet suppresses it; the container's output is the same either way."""
    ref = f"{reg.host}/test/bb:v1"
    rc, out, tty = _on_a_terminal(rsb, "run", "--rm", "--tls-verify=false", ref, "cat",
                                  "/etc/arch")
    assert (rc, out) == (0, "amd64\n")
    assert f"Trying to pull {ref}..." in tty and "Copying blob" in tty
    rsb("rmi", ref)
    rc, out, tty = _on_a_terminal(rsb, "run", "-q", "--rm", "--tls-verify=false", ref, "cat",
                                  "/etc/arch")
    assert (rc, out, tty) == (0, "amd64\n", "")
    rsb("rmi", ref)
    rc, out, tty = _on_a_terminal(rsb, "create", "--quiet", "--tls-verify=false", ref)
    assert (rc, len(out.strip()), tty) == (0, 64, "")
    # an image already here: nothing is pulled, nothing said
    rc, out, tty = _on_a_terminal(rsb, "run", "--rm", ref, "true")
    assert (rc, tty) == (0, "")


# -- run --pull ------------------------------------------------------------------------------


def test_run_pull_policies(rsb: Scopebox, reg: rh.Registry, images: Path) -> None:
    ref = f"{reg.host}/test/policy:v1"
    rh.skopeo_push(images, "v1", reg, "test/policy:v1")
    res = rsb("run", "--rm", "--pull=never", ref, "true", check=False)
    assert (res.returncode, res.stderr) == (125, f"Error: {ref}: image not known\n")  # Podman's
    assert rsb("run", "--rm", "--tls-verify=false", ref, "cat", "/etc/arch").stdout == "amd64\n"
    rh.skopeo_push(images, "v2", reg, "test/policy:v1")  # the tag moves to another image
    assert rsb("run", "--rm", ref, "cat", "/etc/arch").stdout == "amd64\n"  # missing: kept
    out = rsb("run", "--rm", "--pull=always", "--tls-verify=false", ref, "cat", "/etc/arch")
    assert out.stdout == "second\n"
    # events (issue 14): each pull by run is an `image pull` event naming what was asked for
    pulls = rsb("events", "--stream=false", "--filter", "event=pull", "--format",
                "{{.Type}} {{.Name}}").stdout.splitlines()  # fmt: skip
    assert pulls[-2:] == [f"image {ref}", f"image {ref}"]
    res = rsb("run", "--rm", "no-such-image-xyz", "true", check=False)
    assert res.returncode == 125 and "no such image" in res.stderr
    res = rsb("create", "--pull=sometimes", ref, check=False)
    assert (res.returncode, res.stderr) == (
        125,
        "Error: invalid --pull 'sometimes': expected missing, always, newer, never\n",
    )
    # Credentials serve the pull only: neither inspect nor the state database keeps them.
    rsb("create", "--name", "credcheck", "--creds", "u:s3cret-token", ref)
    assert "s3cret-token" not in rsb("inspect", "credcheck").stdout
    rsb("rm", "credcheck")
    db = Path(rsb.root, "state.db")
    assert all(b"s3cret-token" not in p.read_bytes() for p in db.parent.glob("state.db*"))
    assert rsb("ps", "-aq").stdout == ""


def test_built_image_pushes_and_pulls_back(rsb: Scopebox, reg: rh.Registry,
                                           tmp_path: Path) -> None:  # fmt: skip
    """A build (supervisor/build) FROM a pulled image: pushed, read back by skopeo (its two
    new layers, the annotation), pulled into another store and run."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "note").write_text("copied\n")
    (ctx / "Containerfile").write_text(
        f"FROM {reg.host}/test/bb:v1\nRUN echo ran > /ran\nCOPY note /note\n"
        'CMD ["cat", "/ran", "/note"]\n')  # fmt: skip
    rsb("pull", "-q", "--tls-verify=false", f"{reg.host}/test/bb:v1")
    rsb("build", "-q", "--annotation", "org.example.built=yes", "-t",
        f"{reg.host}/built/bb:v1", str(ctx))  # fmt: skip
    rsb("push", "--tls-verify=false", f"{reg.host}/built/bb:v1")
    seen = rh.skopeo_inspect(reg, "built/bb:v1", raw=True)
    assert seen.returncode == 0, seen.stderr
    manifest = json.loads(seen.stdout)
    assert manifest["annotations"] == {"org.example.built": "yes"}
    assert len(manifest["layers"]) == len(layer_digests(reg, "test/bb:v1")) + 2
    other = replace(rsb, env={**rsb.env, "SCOPEBOX_ROOT": str(tmp_path / "root2"),
                              "SCOPEBOX_RUNROOT": str(tmp_path / "run2")})  # fmt: skip
    other("pull", "-q", "--tls-verify=false", f"{reg.host}/built/bb:v1")
    assert other("run", "--rm", f"{reg.host}/built/bb:v1").stdout == "ran\ncopied\n"
    other("rm", "-a", "-f")
