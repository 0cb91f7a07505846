"""verbs: `image trust show`'s rows from a signature policy (pure)."""

from __future__ import annotations

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
