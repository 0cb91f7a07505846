"""Pure: Podman's /etc/passwd and /etc/group entries (supervisor/passwd.py `plan`)."""

from __future__ import annotations

from supervisor.options import UserFlags
from supervisor.passwd import HostUser, Plan, plan

PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nstaff:x:50:\nnogroup:x:65534:\n"
ALICE = HostUser("alice", 1000, 1000, "Alice", "/home/alice")


DEFAULT = UserFlags()


def _plan(user: str = "", flags: UserFlags = DEFAULT, workdir: str = "/",
          hosts: tuple[HostUser, ...] = (), mounted: tuple[str, ...] = ()) -> Plan:
    return plan(flags, user, PASSWD, GROUP, workdir, hosts, mounted)


def test_numeric_user_the_image_lacks() -> None:
    assert _plan("1234") == Plan("1234:*:1234:0:container user:/:/bin/sh\n",
                                 "1234:x:1234:1234\n", "", "/")
    assert _plan("1234:50", workdir="/w").passwd == "1234:*:1234:50:container user:/w:/bin/sh\n"
    assert _plan("1234:50").group == ""  # staff exists
    assert _plan("1234:staff").passwd == "1234:*:1234:50:container user:/:/bin/sh\n"
    assert _plan("1234:nosuch").passwd == ""  # resolve_user reports the unknown group


def test_known_users_and_names_add_nothing() -> None:
    assert _plan("0") == Plan()
    assert _plan("65534:65534") == Plan()
    assert _plan("nobody") == Plan()
    assert _plan("") == Plan()
    assert _plan("bob").passwd == ""  # a name is not made up (resolve_user refuses it)


def test_passwd_false_and_missing_files() -> None:
    assert _plan("1234", UserFlags(passwd=False), hosts=(ALICE,)) == Plan()
    assert plan(UserFlags(), "1234", None, None, "/", (ALICE,)) == Plan()


def test_template() -> None:
    flags = UserFlags(passwd_entry="$USERNAME|$UID|$GID|$NAME|$HOME")
    assert _plan("7:8", flags, "/h").passwd == "7|7|8|container user|/h\n"
    assert _plan("", flags, hosts=(ALICE,)).passwd == "alice|1000|1000|Alice|/\n"


def test_host_users() -> None:
    out = _plan("", hosts=(ALICE,), workdir="/srv")
    assert out == Plan("alice:*:1000:1000:Alice:/srv:/bin/sh\n", "", "/srv", "")
    # its home (or a directory above it) mounted: kept
    assert _plan("", hosts=(ALICE,), mounted=("/home",)).host_home == "/home/alice"
    # the image has the name, or the uid: nothing
    assert _plan("", hosts=(HostUser("nobody", 5, 5, "", "/"),)) == Plan()
    assert _plan("", hosts=(HostUser("x", 0, 0, "", "/"),)) == Plan()
    # -u of the same uid is not added twice
    assert _plan("1000", hosts=(ALICE,)).passwd.count("\n") == 1


def test_a_later_start_keeps_the_host_users_home() -> None:
    line = "alice:*:1000:1000:Alice:/:/bin/sh\n"
    out = plan(UserFlags(), "", PASSWD + line, GROUP, "/", (ALICE,))
    assert (out.passwd, out.host_home) == ("", "/")
