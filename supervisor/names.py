"""Container names: validation and Docker-style generated names."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TypeVar

from supervisor.errors import UsageError

_ADJECTIVES = [
    "brave",
    "calm",
    "clever",
    "eager",
    "fervent",
    "gentle",
    "happy",
    "jolly",
    "keen",
    "lucid",
    "merry",
    "nifty",
    "quirky",
    "serene",
    "sharp",
    "stoic",
    "tender",
    "upbeat",
    "vibrant",
    "witty",
    "zealous",
    "bold",
    "crisp",
    "dazzling",
]
_NOUNS = [
    "babbage",
    "curie",
    "darwin",
    "euler",
    "fermat",
    "galois",
    "hopper",
    "knuth",
    "lamport",
    "lovelace",
    "meitner",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
    "volta",
    "wozniak",
    "yonath",
    "hypatia",
    "kepler",
]


T = TypeVar("T")


def validate_name(name: str) -> None:
    """Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*"""
    ok = (
        bool(name)
        and name[0].isascii()
        and name[0].isalnum()
        and all(c.isascii() and (c.isalnum() or c in "_.-") for c in name)
    )
    if not ok or len(name) > 253:
        raise UsageError(
            f"invalid container name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )


def generate_name(taken: set[str]) -> str:
    while True:
        name = f"{_choice(_ADJECTIVES)}_{_choice(_NOUNS)}"
        if name not in taken:
            return name
        name += f"{_choice(range(100))}"
        if name not in taken:
            return name


def _choice(seq: Sequence[T]) -> T:
    return seq[int.from_bytes(os.urandom(4), "little") % len(seq)]
