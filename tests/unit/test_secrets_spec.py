"""Pure: secret names and `--secret` options, with Podman 4.3's words."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.secrets.spec import SecretRef, check_size, parse, validate_name


@pytest.mark.parametrize(("value", "want"), [
    ("tok", SecretRef("tok")),
    ("tok,type=env", SecretRef("tok", type="env")),
    ("source=tok,target=/etc/t,uid=5,gid=6,mode=0400",
     SecretRef("tok", target="/etc/t", uid=5, gid=6, mode=0o400)),
    ("a,source=b,target=", SecretRef("b")),
])
def test_parse(value: str, want: SecretRef) -> None:
    assert parse(value) == want


@pytest.mark.parametrize(("value", "words"), [
    ("t,type=x", "type x is invalid: parsing secret"),
    ("t,type=env,uid=1", "UID, GID, Mode options cannot be set with secret type env"),
    ("t,uid=abc", "UID abc invalid: parsing secret"),
    ("t,gid=-1", "GID -1 invalid"),
    ("t,mode=999", "mode 999 invalid"),
    ("t,foo=1", "option foo=1 invalid"),
    ("t,uid", "option uid invalid"),
])
def test_parse_refuses(value: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse(value)


def test_destination_and_variable() -> None:
    assert SecretRef("t").destination == "/run/secrets/t"
    assert SecretRef("t", target="x").destination == "/run/secrets/x"
    assert SecretRef("t", target="/etc/x").destination == "/etc/x"
    assert SecretRef("t", type="env").variable == "t"
    assert SecretRef("t", type="env", target="V").variable == "V"


@pytest.mark.parametrize("name", ["a", "a_b", "A.b-c", "a" * 64])
def test_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "a-", ".a", "a.", "bad name", "a" * 65, "a/b"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UsageError, match="invalid secret name"):
        validate_name(name)


def test_size() -> None:
    assert check_size(b"x") == b"x"
    for data in (b"", b"x" * 512000):
        with pytest.raises(UsageError, match="larger than 0 and less than 512000"):
            check_size(data)
