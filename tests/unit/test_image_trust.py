"""verbs: `image trust show`'s rows from a signature policy (pure)."""

from __future__ import annotations

import json
from pathlib import Path

from supervisor.cli.image_trust import rows


def test_rows_name_the_default_then_each_docker_scope() -> None:
    doc = {"default": [{"type": "reject"}],
           "transports": {"docker": {"quay.io": [{"type": "signedBy", "keyType": "GPGKeys"}],
                                     "docker.io": [{"type": "insecureAcceptAnything"}]},
                          "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]}}}
    assert [(r["transport"], r["repo_name"], r["type"]) for r in rows(doc)] == [
        ("all", "default", "reject"), ("repository", "docker.io", "accept"),
        ("repository", "quay.io", "signed")]
    assert rows({})[0] == {"transport": "all", "name": "* (default)", "repo_name": "default",
                           "type": ""}


def test_set_replaces_one_requirement_and_writes_the_default_first() -> None:
    from supervisor.cli.image_trust import with_requirement

    doc = with_requirement({}, "default", "reject", [])
    assert doc == {"default": [{"type": "reject"}]}
    doc = with_requirement(doc, "docker.io", "signedBy", ["/k.gpg"])
    doc = with_requirement(doc, "quay.io", "accept", [])
    assert doc["transports"]["docker"] == {
        "docker.io": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k.gpg"}],
        "quay.io": [{"type": "insecureAcceptAnything"}]}
    doc = with_requirement({"transports": {}, "default": []}, "default", "accept", [])
    assert list(doc) == ["default", "transports"]


def test_trust_set_edits_only_the_file_policypath_names(tmp_path: Path) -> None:
    """Podman's checks and words; the host's policy is refused."""
    import pytest

    from supervisor.cli.image_trust import set_
    from supervisor.errors import UsageError

    path = tmp_path / "policy.json"
    with pytest.raises(UsageError, match="default trust policy must be set"):
        set_([f"--policypath={path}", "--type=reject", "docker.io"])
    with pytest.raises(UsageError, match="at least one public key"):
        set_([f"--policypath={path}", "default"])
    with pytest.raises(UsageError, match="give --policypath FILE"):
        set_(["--type=accept", "default"])
    assert not path.exists()
    assert set_([f"--policypath={path}", "--type=accept", "default"]) == 0
    assert json.loads(path.read_text()) == {"default": [{"type": "insecureAcceptAnything"}]}


def test_sign_payload_and_where_it_goes() -> None:
    """containers-signature(5)'s payload, in Podman's lookaside layout."""
    from supervisor.registry.reference import Reference
    from supervisor.registry.sign import payload, signature_dir

    ref = Reference("quay.io", "libpod/testimage", "20220615")
    digest = "sha256:" + "a" * 64
    assert json.loads(payload(ref, digest, "scopebox 1", 7)) == {
        "critical": {"identity": {"docker-reference": "quay.io/libpod/testimage:20220615"},
                     "image": {"docker-manifest-digest": digest},
                     "type": "atomic container signature"},
        "optional": {"creator": "scopebox 1", "timestamp": 7}}
    assert signature_dir("/d", ref, digest) == "/d/libpod/testimage@sha256=" + "a" * 64


def test_sign_refuses_before_asking_a_registry(tmp_path: Path) -> None:
    import pytest

    from supervisor.errors import UsageError
    from supervisor.registry.sign import SignOptions, sign

    with pytest.raises(UsageError, match="expected colon-separated transport:reference"):
        sign(SignOptions("busybox", "me@x", str(tmp_path)), "c")
    with pytest.raises(UsageError, match="only docker:// references"):
        sign(SignOptions("oci:/x", "me@x", str(tmp_path)), "c")
    with pytest.raises(UsageError, match="no such file or directory"):
        sign(SignOptions("docker://quay.io/x", "me@x", str(tmp_path / "none")), "c")
