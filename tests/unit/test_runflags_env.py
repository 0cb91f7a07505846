"""issue 19: --env-merge, --unsetenv, --unsetenv-all and the layering of a container's
environment, as Podman 4.3 builds it (values read from the real podman on the build host)."""

from __future__ import annotations

import re

import pytest

from supervisor.envflags import (
    CONTAINER_ENV,
    DEFAULT_PATH,
    DEFAULT_TERM,
    check_env_merge,
    container_env,
    process_word,
)
from supervisor.errors import UsageError

ENV = ["PATH=/bin", "HOME=/root", "E=", "N1=one"]


@pytest.mark.parametrize(("word", "want"), [
    ("PATH=${PATH}:/x", "PATH=/bin:/x"),
    ("A=$HOME/sub", "A=/root/sub"),
    ("A=${NOPE}z", "A=z"),
    ("A=${NOPE:-dflt}", "A=dflt"),
    ("A=${E:-dflt}", "A=dflt"),  # empty counts as unset
    ("A=${HOME:-dflt}", "A=/root"),
    ("A=${HOME:+alt}", "A=alt"),
    ("A=${NOPE:+alt}", "A="),
    ("A=${NOPE:-${HOME}}", "A=/root"),  # nested in the word
    ("A='$HOME'", "A=$HOME"),  # single quotes: as is
    ('A="$HOME x"', "A=/root x"),  # double quotes: variables only
    ('A="\\$HOME \\"q\\" \\n"', 'A=$HOME "q" \\n'),  # \" and \$ only, other \ kept
    ("A=\\$HOME", "A=$HOME"),
    ("A=a\\", "A=a"),  # a trailing backslash goes
    ("A=$", "A=$"),
    ("A=$-", "A=$-"),
    ("A=$1x", "A=x"),  # a digit is a one-character name
    ("A=$N1", "A=one"),
    ("TERM=${container}-'q'", "TERM=-q"),
])  # fmt: skip
def test_process_word_as_imagebuilder(word: str, want: str) -> None:
    assert process_word(word, ENV) == want


@pytest.mark.parametrize(("word", "error"), [
    ("PATH=${PATH", "Missing ':' in substitution: PATH=${PATH"),
    ("A=${HOME?x}", "Missing ':' in substitution: A=${HOME?x}"),
    ("A=${HOME:?x}", "Unsupported modifier (?) in substitution: A=${HOME:?x}"),
])  # fmt: skip
def test_bad_substitutions_are_podmans_errors(word: str, error: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(error) + "$"):
        process_word(word, ENV)
    with pytest.raises(UsageError) as exc:
        check_env_merge([word])
    assert str(exc.value) == f"unable to process variables for --env-merge {word}: {error}"


def test_env_merge_without_equals_is_refused() -> None:
    """Podman 4.3 panics when the name is set (exit 2) and ignores it otherwise; scopebox
    refuses it as later Podman does (DIFFERENCES.md env-merge-no-equals)."""
    with pytest.raises(UsageError, match=r"^missing `=` for --env-merge substitution TERM$"):
        check_env_merge(["TERM"])


def test_defaults_without_flags() -> None:
    assert container_env([]) == [DEFAULT_PATH, DEFAULT_TERM, CONTAINER_ENV]
    assert container_env(["PATH=/img", "FOO=img"], env=["A=1", "FOO=e"]) == [
        "PATH=/img", DEFAULT_TERM, CONTAINER_ENV, "FOO=e", "A=1"]


def test_env_merge_rewrites_only_what_the_defaults_hold() -> None:
    image = ["PATH=/img", "FOO=img"]
    got = container_env(image, env_merge=["PATH=${PATH}:/x", "FOO=${FOO}-m", "NEW=${PATH}"])
    # NEW: not in the defaults
    assert got == ["PATH=/img:/x", DEFAULT_TERM, CONTAINER_ENV, "FOO=img-m"]
    # each merge sees the ones before it (the real podman: FOO=img-m, PATH=...:img-m)
    assert container_env(image, env_merge=["FOO=${FOO}-m", "PATH=${PATH}:${FOO}"]) == [
        "PATH=/img:img-m", DEFAULT_TERM, CONTAINER_ENV, "FOO=img-m"]
    # -e wins over a merge; the value keeps its own `=` (later Podman's; 4.3 cuts it there)
    assert container_env(image, env_merge=["FOO=a=b"], env=["PATH=/e"]) == [
        "PATH=/e", DEFAULT_TERM, CONTAINER_ENV, "FOO=a=b"]


def test_unsetenv_removes_defaults_not_the_callers() -> None:
    image = ["PATH=/img", "FOO=img"]
    got = container_env(image, unsetenv=["FOO", "container", "NOPE"])
    assert got == ["PATH=/img", DEFAULT_TERM]
    assert container_env(image, unsetenv=["FOO"], env=["FOO=e"]) == [
        "PATH=/img", DEFAULT_TERM, CONTAINER_ENV, "FOO=e"]
    assert container_env(image, unsetenv_all=True) == []
    assert container_env(image, unsetenv_all=True, env=["A=1"]) == ["A=1"]


def test_env_host_comes_over_the_image_and_after_unset() -> None:
    """Podman 4.3's order: the caller's environment over the image's, and --unsetenv(-all)
    does not reach it (read from the real podman: FOO=host, PATH the host's)."""
    image = ["PATH=/img", "FOO=img"]
    host = ["FOO=host", "PATH=/host"]
    got = container_env(image, host_env=host)
    assert got == ["PATH=/host", DEFAULT_TERM, CONTAINER_ENV, "FOO=host"]
    assert container_env(image, unsetenv_all=True, host_env=host) == ["FOO=host", "PATH=/host"]
    assert container_env(image, host_env=host, env=["FOO=e"])[3] == "FOO=e"
    # the merges see the caller's variables (under the image's); the caller's come back after
    got = container_env(image, env_merge=["FOO=${FOO}+${H}", "PATH=x"], host_env=["H=h"])
    assert got == ["PATH=x", DEFAULT_TERM, CONTAINER_ENV, "H=h", "FOO=img+h"]
    assert container_env(image, env_merge=["FOO=m"], host_env=host)[3] == "FOO=host"
