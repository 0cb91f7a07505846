"""The differential tier's table comparison itself (pure: no engine runs): values normalised
cell by cell with the table aligned again, and Podman's spacing recognised exactly."""

from __future__ import annotations

from supervisor.format.table import tabwrite_text
from tests.compat.harness import Result, normalise, realign

# podman 4.3.1's `ps -a` (an empty PORTS column, a last cell of varying width)
PODMAN_PS = (
    "CONTAINER ID  IMAGE                     COMMAND               CREATED        STATUS"
    "                    PORTS       NAMES\n"
    "b69bb8c377d6  localhost/busybox:latest  sleep 100000          4 minutes ago  Up 4 minutes ago"
    "                      tables-web\n"
    "dd71ecf8507d  localhost/busybox:latest  sh -c echo out; e...  3 minutes ago  Exited (3) 3"
    " minutes ago              tables-done\n"
)
ROWS = [
    ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
    ["b69bb8c377d6", "localhost/busybox:latest", "sleep 100000", "4 minutes ago",
     "Up 4 minutes ago", "", "tables-web"],
    ["dd71ecf8507d", "localhost/busybox:latest", "sh -c echo out; e...", "3 minutes ago",
     "Exited (3) 3 minutes ago", "", "tables-done"],
]  # fmt: skip


def _table(rows: list[list[str]], minwidth: int = 12, padding: int = 2) -> str:
    return tabwrite_text("".join("\t".join(r) + "\n" for r in rows), minwidth=minwidth,
                         padding=padding)


def _result(out: str) -> Result:
    return Result(0, normalise(out), "", out)


def test_podmans_tables_come_back_byte_for_byte() -> None:
    assert _table(ROWS) == PODMAN_PS  # the writer here is podman's (tests/unit pins it)
    assert realign(PODMAN_PS) == PODMAN_PS and _result(PODMAN_PS).aligned
    history = "ID            SIZE        COMMENT\n898fb1542407  2.13 MB     \n"  # empty last cell
    assert realign(history) == history
    top = "PID         COMMAND\n1           sleep 100000 \n"  # psgo's trailing space stays
    assert realign(top) == top


def test_another_writers_spacing_is_seen() -> None:
    docker = _table(ROWS, minwidth=10, padding=3)  # docker's writer
    assert not _result(docker).aligned
    # ... while the normalised cells agree: only `aligned` tells the two apart
    assert _result(docker).out == _result(PODMAN_PS).out


def test_values_of_other_widths_are_aligned_again() -> None:
    later = [ROWS[0], [*ROWS[1][:3], "About a minute ago", "Up About a minute ago", "",
                       ROWS[1][6]], ROWS[2]]  # fmt: skip
    assert _result(_table(later)).aligned
    assert normalise(_table(later)) == normalise(PODMAN_PS) != normalise(_table(ROWS[:2]))
    assert normalise(PODMAN_PS).splitlines()[1] == (
        "<ID>          localhost/busybox:latest  sleep 100000          <AGO> ago   Up <AGO> ago"
        + " " * 22 + "tables-web"  # STATUS as wide as `Exited (3) <AGO> ago` + 2, PORTS 12
    )


def test_text_that_is_no_table_is_left_alone() -> None:
    text = "Pod:\nc0ffee\n  indented:  yaml\n\nplain line\n"
    assert realign(text) == text
