"""mounts.conf (--default-mounts-file): its lines, and the copies a container binds."""

from __future__ import annotations

from pathlib import Path

from supervisor.volumes import subscriptions


def test_lines_and_missing_files(tmp_path: Path) -> None:
    conf = tmp_path / "mounts.conf"
    conf.write_text("# secrets\n\n/srv/s:/run/secrets\n/etc/same\n")
    assert subscriptions.read(str(conf)) == [("/srv/s", "/run/secrets"),
                                             ("/etc/same", "/etc/same")]  # fmt: skip
    assert subscriptions.read(str(tmp_path / "nosuch")) == []  # Podman ignores it


def test_copies_of_their_own_the_users_mounts_win(tmp_path: Path) -> None:
    host = tmp_path / "secrets"
    host.mkdir()
    (host / "k").write_text("v")
    cdir = tmp_path / "ctr"
    pairs = [(str(host), "/run/secrets"), (str(tmp_path / "gone"), "/x"), (str(host), "/mine")]
    made = subscriptions.prepare(pairs, str(cdir), {"/mine"})
    assert [d for d, _ in made] == ["/run/secrets"]
    copy = Path(made[0][1])
    assert (copy / "k").read_text() == "v" and copy.parent == cdir / "subscriptions"
    (copy / "k").write_text("changed")  # a write inside the container
    assert (host / "k").read_text() == "v"
    again = subscriptions.prepare(pairs, str(cdir), {"/mine"})  # the next start: afresh
    assert (Path(again[0][1]) / "k").read_text() == "v"
