"""The runtime's create errors mapped to Docker's exit codes, for runc's and crun's words."""

from __future__ import annotations

import pytest

from supervisor.monitor import exit_error

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
        125,
    ),
    ("crun: cannot set limits: Invalid argument", 125),
    # the container whose namespace is joined exited after the engine saw it running
    (
        "runc create failed: unable to create new parent process: namespace path: lstat"
        " /proc/11296/ns/uts: no such file or directory",
        126,
    ),
    ("cannot open `/proc/11296/ns/ipc`: No such file or directory", 126),
]


@pytest.mark.parametrize(("message", "code"), CASES)
def test_exit_code(message: str, code: int) -> None:
    assert exit_error(message).exit_code == code
