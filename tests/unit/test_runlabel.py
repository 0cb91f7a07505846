"""verbs: the command `container runlabel` builds from a label (pure)."""

from __future__ import annotations

from supervisor.cli.runlabel import command


def test_image_and_name_replaced_in_every_word() -> None:
    assert command('podman run --name NAME -e "X=$NAME y" IMAGE echo image=IMAGE',
                   "localhost/app:v1", "app") == [
        "podman", "run", "--name", "app", "-e", "X=app y", "localhost/app:v1", "echo",
        "image=localhost/app:v1"]
