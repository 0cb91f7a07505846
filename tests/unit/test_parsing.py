"""Small parsers users feed: sizes, signals, names, image references, env."""

from __future__ import annotations

import pytest

from supervisor.errors import UsageError
from supervisor.images import normalize_name
from supervisor.names import generate_name, validate_name
from supervisor.signals import parse_signal
from supervisor.sizes import parse_size
from supervisor.specgen import merge_env


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("10m", 10 << 20),
        ("1g", 1 << 30),
        ("512k", 512 << 10),
        ("1024", 1024),
        ("2MiB", 2 << 20),
        ("1.5k", 1536),
    ],
)
def test_sizes(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["10x", "", "-1m", "m"])
def test_bad_sizes(text: str) -> None:
    with pytest.raises(UsageError):
        parse_size(text)


@pytest.mark.parametrize(("text", "n"), [("SIGTERM", 15), ("term", 15), ("9", 9), ("KILL", 9)])
def test_signals(text: str, n: int) -> None:
    assert parse_signal(text) == n


@pytest.mark.parametrize("text", ["SIGNOPE", "0", "999", "SIG_DFL", ""])
def test_bad_signals(text: str) -> None:
    with pytest.raises(UsageError):
        parse_signal(text)


def test_names() -> None:
    validate_name("web-1.a_b")
    for bad in ("", "-x", "a b", "ä", "x/y"):
        with pytest.raises(UsageError):
            validate_name(bad)
    taken = {generate_name(set()) for _ in range(5)}
    name = generate_name(taken)
    assert name not in taken
    validate_name(name)


@pytest.mark.parametrize(
    ("ref", "full"),
    [
        ("busybox", "localhost/busybox:latest"),
        ("busybox:1.36", "localhost/busybox:1.36"),
        ("docker.io/library/alpine", "docker.io/library/alpine:latest"),
        ("localhost:5000/a/b:t", "localhost:5000/a/b:t"),
        ("me/app", "localhost/me/app:latest"),
    ],
)
def test_image_names(ref: str, full: str) -> None:
    assert normalize_name(ref) == full


def test_env_merge_later_wins_first_order_kept() -> None:
    assert merge_env(["A=1", "B=2"], ["A=3", "C=4"]) == ["A=3", "B=2", "C=4"]
