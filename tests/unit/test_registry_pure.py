"""The registry package's pure parts: references, registries.conf, challenges, auth files,
platform choice, progress lines."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import pytest

from supervisor.errors import RegistryError, UsageError
from supervisor.registry import auth
from supervisor.registry.challenge import Challenge, parse_challenges
from supervisor.registry.conf import Config, load
from supervisor.registry.platform import Platform, choose
from supervisor.registry.progress import TerminalProgress, human
from supervisor.registry.reference import Reference, parse, registry_host

D = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "domain", "path", "tag", "digest"),
    [
        ("busybox", None, "busybox", None, None),
        ("library/busybox:1.36", None, "library/busybox", "1.36", None),
        ("localhost/x", "localhost", "x", None, None),
        ("127.0.0.1:5000/a/b:v1", "127.0.0.1:5000", "a/b", "v1", None),
        (f"quay.io/a/b@{D}", "quay.io", "a/b", None, D),
        (f"quay.io/a/b:t@{D}", "quay.io", "a/b", "t", D),
        ("index.docker.io/x/y", "docker.io", "x/y", None, None),
        ("my-reg:443/x", "my-reg:443", "x", None, None),
    ],
)
def test_parse(
    text: str, domain: str | None, path: str, tag: str | None, digest: str | None
) -> None:
    p = parse(text)
    assert (p.domain, p.path, p.tag, p.digest) == (domain, path, tag, digest)


@pytest.mark.parametrize(
    "text", ["", "UPPER/case", "a b", "x@sha256:12", "x:-bad", "a//b", "host:5000/", "-x/y"]
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(UsageError):
        parse(text)


def test_qualify_docker_hub_and_names() -> None:
    ref = parse("busybox").qualify("docker.io")
    assert ref == Reference("docker.io", "library/busybox", "latest")
    assert ref.name == "docker.io/library/busybox:latest"
    assert registry_host("docker.io") == "registry-1.docker.io"
    pinned = parse(f"quay.io/a@{D}").qualify("quay.io")
    assert pinned.tag is None and pinned.manifest_ref == D and str(pinned) == f"quay.io/a@{D}"


def conf(text: str, tmp_path: Path) -> Config:
    f = tmp_path / "r.conf"
    f.write_text(text)
    return load([str(f)])


def test_search_aliases_and_errors(tmp_path: Path) -> None:
    c = conf(
        'unqualified-search-registries = ["a.io", "docker.io"]\n'
        '[aliases]\n"web" = "quay.io/x/web"\n',
        tmp_path,
    )
    assert [str(r) for r in c.candidates(parse("bb:1"))] == [
        "a.io/bb:1",
        "docker.io/library/bb:1",
    ]
    assert [str(r) for r in c.candidates(parse("web:2"))] == ["quay.io/x/web:2"]
    assert [str(r) for r in c.candidates(parse("q.io/x"))] == ["q.io/x:latest"]
    with pytest.raises(UsageError, match="no unqualified-search registries"):
        Config().candidates(parse("bb"))


def test_dropins_override(tmp_path: Path) -> None:
    (tmp_path / "a.conf").write_text(
        'unqualified-search-registries = ["a.io"]\n[aliases]\nx = "a.io/x"\n'
    )
    (tmp_path / "b.conf").write_text(
        'unqualified-search-registries = ["b.io"]\n[aliases]\nx = "b.io/x"\n'
    )
    c = load([str(tmp_path / "a.conf"), str(tmp_path / "b.conf"), str(tmp_path / "missing")])
    assert c.search == ("b.io",) and c.aliases == {"x": "b.io/x"}


def test_endpoints_rewrite_mirrors_insecure_blocked(tmp_path: Path) -> None:
    c = conf(
        """
[[registry]]
prefix = "example.com/foo"
location = "internal:5000/bar"
insecure = true
[[registry.mirror]]
location = "mirror.local/m"
[[registry.mirror]]
location = "digest.local/m"
pull-from-mirror = "digest-only"
[[registry]]
location = "example.com"
[[registry]]
location = "bad.io"
blocked = true
""",
        tmp_path,
    )
    ref = parse("example.com/foo/app:1").qualify("example.com")
    eps = c.endpoints(ref)
    assert [(str(e.ref), e.insecure, e.mirror) for e in eps] == [
        ("mirror.local/m/app:1", False, True),
        ("internal:5000/bar/app:1", True, False),
    ]
    pinned = parse(f"example.com/foo/app@{D}").qualify("example.com")
    assert [str(e.ref) for e in c.endpoints(pinned)][:2] == [
        f"mirror.local/m/app@{D}",
        f"digest.local/m/app@{D}",
    ]
    # "example.com/foobar" is not under the prefix "example.com/foo": the shorter entry wins.
    other = parse("example.com/foobar").qualify("example.com")
    assert [str(e.ref) for e in c.endpoints(other)] == ["example.com/foobar:latest"]
    assert [e.insecure for e in c.endpoints(ref, tls_verify=True)] == [False, False]
    with pytest.raises(UsageError, match="blocked"):
        c.endpoints(parse("bad.io/x").qualify("bad.io"))
    with pytest.raises(UsageError, match="cannot parse"):
        conf("[[registry]\n", tmp_path)


def test_challenges() -> None:
    h = 'Bearer realm="https://auth.io/token",service="registry.io",scope="repository:a/b:pull,push"'
    assert parse_challenges(h) == [
        Challenge(
            "bearer",
            {
                "realm": "https://auth.io/token",
                "service": "registry.io",
                "scope": "repository:a/b:pull,push",
            },
        )
    ]
    two = parse_challenges('Basic realm="x y", Bearer realm="r\\"q"')
    assert [(c.scheme, c.params["realm"]) for c in two] == [("basic", "x y"), ("bearer", 'r"q')]
    assert parse_challenges("") == []


def test_auth_file_lookup_store_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    primary = tmp_path / "auth.json"
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(primary))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    (tmp_path / "docker").mkdir()
    b64 = base64.b64encode(b"dock:er").decode()
    (tmp_path / "docker" / "config.json").write_text(
        json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": b64}}})
    )
    assert auth.lookup("docker.io/library/x") == auth.Credentials("dock", "er")
    assert auth.lookup("quay.io/x") is None
    auth.store("quay.io", auth.Credentials("u", "p:w"))
    auth.store("quay.io/team", auth.Credentials("t", "x"))
    assert (primary.stat().st_mode & 0o777) == 0o600
    assert auth.lookup("quay.io/team/app") == auth.Credentials("t", "x")
    assert auth.lookup("quay.io/other/app") == auth.Credentials("u", "p:w")
    assert auth.remove("quay.io/team") and not auth.remove("quay.io/team")
    assert auth.in_docker_config_only("docker.io", None)
    auth.remove(None)
    assert json.loads(primary.read_text()) == {"auths": {}}
    primary.write_text('{"auths": {"q.io": {"auth": "!!"}}}')
    with pytest.raises(UsageError, match="malformed credentials"):
        auth.lookup("q.io/x")
    assert auth.Credentials.parse("a:b:c") == auth.Credentials("a", "b:c")
    with pytest.raises(UsageError):
        auth.Credentials.parse(":x")


def test_auth_file_default_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/7")
    assert auth.auth_file() == "/run/user/7/containers/auth.json"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert auth.auth_file() == f"/run/containers/{os.getuid()}/auth.json"
    assert auth.auth_file("/x.json") == "/x.json"


def index(*plats: dict[str, str]) -> dict[str, object]:
    return {"manifests": [{"digest": f"d{i}", "platform": p} for i, p in enumerate(plats)]}


def test_platform_choice() -> None:
    idx = index(
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm", "variant": "v6"},
        {"os": "linux", "architecture": "arm", "variant": "v7"},
        {"os": "linux", "architecture": "arm64"},
    )
    assert choose(idx, Platform("linux", "amd64"), False)["digest"] == "d0"
    assert choose(idx, Platform.parse("linux/arm/v7"), True)["digest"] == "d2"
    assert choose(idx, Platform("linux", "arm64", "v8"), False)["digest"] == "d3"  # implied v8
    with pytest.raises(RegistryError, match="linux/arm64/v8"):
        choose(idx, Platform.parse("linux/arm64/v8"), True)
    with pytest.raises(RegistryError, match="linux/s390x"):
        choose(idx, Platform.parse("linux/s390x"), True)
    with pytest.raises(UsageError):
        Platform.parse("linux")


def test_progress_lines() -> None:
    out = io.StringIO()
    p = TerminalProgress(out, interval=0)
    p.begin("a", "Copying blob aaaa", 2048)
    p.advance("a", 1024)
    p.finish("a", "done")
    p.close()
    text = out.getvalue()
    assert "Copying blob aaaa   50% 1.0KiB / 2.0KiB" in text
    assert text.rstrip().endswith("Copying blob aaaa  1.0KiB / 2.0KiB  done")
    assert human(3 << 20) == "3.0MiB" and human(12) == "12B"
