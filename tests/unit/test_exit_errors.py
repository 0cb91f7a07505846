"""The runtime's create errors mapped to Docker's exit codes, for runc's and crun's words."""

from __future__ import annotations

import pytest

from supervisor.errors import (
    CommandNotFound,
    ConflictError,
    NotFoundError,
    RuntimeFailed,
    ScopeboxError,
    SystemError_,
    start_failure,
)
from supervisor.monitor import exit_error
from supervisor.users import UserLookupError

CASES = [
    (
        'runc create failed: unable to start container process: exec: "nosuchcmd": executable'
        " file not found in $PATH",
        127,
    ),
    (
        'runc create failed: unable to start container process: exec: "/etc/passwd": permission'
        " denied",
        126,
    ),
    ("executable file `nosuchcmd` not found in $PATH: No such file or directory", 127),
    ("open executable: Permission denied", 126),
    (
        "runc create failed: unable to start container process: error during container init:"
        ' error mounting "/nonexistent" to rootfs at "/x": no such file or directory',
        127,
    ),
    (
        "runc create failed: unable to start container process: error during container init:"
        ' error mounting "/etc/passwd" to rootfs at "/bin": mount /etc/passwd:/bin (via'
        " /proc/self/fd/6), flags: 0x5000: not a directory",
        126,
    ),
    ("cannot set limits: Invalid argument", 126),
    # the container whose namespace is joined exited after the engine saw it running
    (
        "runc create failed: unable to create new parent process: namespace path: lstat"
        " /proc/11296/ns/uts: no such file or directory",
        126,
    ),
    ("cannot open `/proc/11296/ns/ipc`: No such file or directory", 126),
    # the monitor's own failures are the engine's (DIFFERENCES.md pidfile-unwritable)
    ("writing the --pidfile file /nonexistent-dir/x: No such file or directory", 125),
    ("cannot run runtime '/usr/bin/nosuch': No such file or directory", 125),
]


@pytest.mark.parametrize(("message", "code"), CASES)
def test_exit_code(message: str, code: int) -> None:
    assert exit_error(message).exit_code == code


# Podman 4.3's words, as scripts and clients match them (its e2e tests and IDE transports look
# for "OCI runtime attempted to invoke a command that was not found").
WORDS = [
    ('runc create failed: unable to start container process: exec: "nosuch": executable file'
     " not found in $PATH", "runc",
     'runc: runc create failed: unable to start container process: exec: "nosuch": executable'
     " file not found in $PATH: OCI runtime attempted to invoke a command that was not found"),
    ("executable file `x` not found in $PATH: No such file or directory", "/usr/bin/crun",
     "crun: executable file `x` not found in $PATH: No such file or directory: OCI runtime"
     " attempted to invoke a command that was not found"),
    ('runc create failed: unable to start container process: exec: "/etc": permission denied',
     "runc", 'runc: runc create failed: unable to start container process: exec: "/etc":'
     " permission denied: OCI permission denied"),
    ("runc create failed: mount x:/bin: not a directory", "/usr/sbin/runc",
     "OCI runtime error: runc: runc create failed: mount x:/bin: not a directory"),
]


@pytest.mark.parametrize(("message", "runtime", "text"), WORDS)
def test_podman_s_words(message: str, runtime: str, text: str) -> None:
    assert str(exit_error(message, runtime)) == text


@pytest.mark.parametrize(("message", "code"), [
    ('exec: "nosuch": executable file not found in $PATH', 127),
    ('exec: "/etc": permission denied', 126),
    ("exec failed: container_linux.go: read-only file system", 125),
])
def test_exec_codes(message: str, code: int) -> None:
    """exec translates only the two named kinds; any other failure is the engine's 125."""
    assert exit_error(message, "runc", exec_=True).exit_code == code


@pytest.mark.parametrize(("error", "code"), [
    (ConflictError("host port 0.0.0.0:80/tcp is already claimed by a container"), 126),
    (SystemError_("cgroup: no such file or directory: '/sys/fs/cgroup/x'"), 127),
    (NotFoundError("network", "gone"), 127),
    (CommandNotFound("exec: nope: not found"), 127),
    (UserLookupError("group", "wheel"), 126),  # Podman's, measured
    (RuntimeFailed("writing the --pidfile file /x/y: No such file or directory"), 125),
])
def test_run_start_failures_exit_as_podmans_run(error: ScopeboxError, code: int) -> None:
    """Podman's `run` once the container is made: 127 for "not found", else 126; the words
    stay the same."""
    mapped = start_failure(error)
    assert (mapped.exit_code, str(mapped)) == (code, str(error))
