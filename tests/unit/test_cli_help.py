"""`help`, `--help` and the usage errors in Podman's (cobra's) layout and words, which scripts,
shell completions and Podman's own 015-help and 300-cli-parsing tests read: run as a user runs
the program, under its own name and under the name `podman` (Podman prints its argv[0])."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str, program: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    command = program or [sys.executable, "-m", "supervisor"]
    return subprocess.run([*command, *argv], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env={"PATH": "/usr/bin:/bin"})  # fmt: skip


@pytest.fixture
def podman(tmp_path: Path) -> list[str]:
    """scopebox as a link named `podman` runs it: a launcher script of that name."""
    path = tmp_path / "podman"
    path.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                    "from supervisor.launcher import main\nmain()\n")  # fmt: skip
    os.chmod(path, 0o755)
    return [str(path)]


def commands(out: str) -> list[str]:
    """The verbs as 015-help reads them: the first word of each line after `Available
    Commands:` up to `Options:`."""
    lines = out.split("Available Commands:\n", 1)[1].split("\nOptions:", 1)[0].splitlines()
    return [line.split()[0] for line in lines if line.strip()]


@pytest.mark.parametrize("spelling", [["help"], ["--help"], ["-h"]])
def test_the_top_help_lists_the_verbs(spelling: list[str]) -> None:
    res = run(*spelling)
    assert res.returncode == 0
    assert res.stdout.splitlines()[0] == "Manage pods, containers and images"
    assert "Usage:\n  scopebox [options] [command]\n" in res.stdout
    listed = commands(res.stdout)
    assert {"ps", "run", "container", "image", "pod", "help"} <= set(listed)
    assert listed == sorted(listed) and "umount" not in listed  # aliases stay hidden


def test_a_group_without_its_subcommand_shows_its_help_and_fails() -> None:
    res = run("container")
    assert res.returncode == 125
    assert "Usage:\n  scopebox container [command]\n" in res.stdout
    assert "attach" in commands(res.stdout) and "prune" in commands(res.stdout)
    assert res.stderr == "Error: missing command 'scopebox container COMMAND'\n"
    assert run("help", "container").stdout == run("container", "--help").stdout == res.stdout


def test_a_verb_through_its_group_is_named_so_in_its_usage() -> None:
    out = run("container", "attach", "--help").stdout
    assert "Usage:\n  scopebox container attach [options] [CONTAINER]\n" in out
    out = run("image", "rm", "--help").stdout
    assert "Usage:\n  scopebox image rm [options]" in out
    assert "Usage:\n  scopebox healthcheck run [options] CONTAINER\n" in run(
        "help", "healthcheck", "run").stdout


def test_podman_says_podman(podman: list[str]) -> None:
    res = run("run", "-h", program=podman)
    assert (res.returncode, res.stderr) == (
        125, "Error: flag needs an argument: 'h' in -h\nSee 'podman run --help'\n")
    assert "Usage:\n  podman ps [options]\n" in run("ps", "--help", program=podman).stdout
    res = run("bad", "--invalid", program=podman)
    assert (res.returncode, res.stderr) == (125, "Error: unknown flag: --invalid\n"
                                                 "See 'podman --help'\n")  # fmt: skip


@pytest.mark.parametrize(("argv", "error"), [
    (["ps", "x"], "Error: `scopebox ps` takes no arguments\n"),
    (["rename", "a", "b", "c"], "Error: accepts 2 arg(s), received 3\n"),
    (["pod", "create", "a", "b"], "Error: accepts at most 1 arg(s), received 2\n"),
    (["rename"], "Error: accepts 2 arg(s), received 0\n"),
    (["rename", "a"], "Error: accepts 2 arg(s), received 1\n"),
    (["tag"], "Error: requires at least 2 arg(s), only received 0\n"),
    (["import", "a", "b", "c"], "Error: accepts between 1 and 2 arg(s), received 3\n"),
    (["ps", "--bogus"], "Error: unknown flag: --bogus\nSee 'scopebox ps --help'\n"),
    (["ps", "-Z"], "Error: unknown shorthand flag: 'Z' in -Z\nSee 'scopebox ps --help'\n"),
    (["nosuch"], "Error: unrecognized command `scopebox nosuch`\n"
                 "Try 'scopebox --help' for more information\n"),
    (["nosuch", "-x"], "Error: unknown shorthand flag: 'x' in -x\nSee 'scopebox --help'\n"),
    (["kube", "nosuch"], "Error: unrecognized command `scopebox kube nosuch`\n"
                         "Try 'scopebox kube --help' for more information\n"),
    (["pod", "start", "-l", "p"], "Error: --latest and containers cannot be used together\n"),
    (["pod", "start", "--all", "--latest"], "Error: --all and --latest cannot be used together\n"),
    (["pod", "inspect", "-l", "p"], "Error: --latest and arguments cannot be used together\n"),
    (["network", "reload", "-l", "c"],
     "Error: --latest and containers cannot be used together\n"),
])  # fmt: skip
def test_usage_errors_are_cobras_words(argv: list[str], error: str) -> None:
    res = run(*argv)
    assert (res.returncode, res.stderr) == (125, error)


def test_help_of_help() -> None:
    res = run("help", "help")
    assert res.returncode == 0 and "Usage:\n  scopebox help [command]\n" in res.stdout
