"""events (issue 14): the lines podman 4.3 and scopebox show for the same commands (times and
ids normalised), and --filter/--format/--no-trunc behaviour."""

from __future__ import annotations

from tests.compat.scenarios import Case

_EV = "events --stream=false"
_RUN = "run --name {u} --label a=b busybox true"
_RUN3 = ("run -d --name {u} --label a=b busybox sh -c 'exit 3'", "wait {u}")

EVENTS = [
    Case(f"{_EV} --filter container={{u}}", setup=(_RUN,)),
    Case(f"{_EV} --filter container={{u}} --format json", setup=(_RUN,)),
    Case(f"{_EV} --filter container={{u}} --no-trunc=false", setup=(_RUN,)),
    Case(f"{_EV} --filter container={{u}} --filter event=died --filter event=start"
         " --format {{.Status}}:{{.ContainerExitCode}}:{{.Attributes}}:{{.Type}}",
         setup=_RUN3),
    Case(f"{_EV} --filter container={{u}} --filter event=died --format json", setup=_RUN3),
    Case(f"{_EV} --filter label=a=b --filter container={{u}} --filter status=attach",
         setup=(_RUN,)),
    Case(f"{_EV} --filter label=a --filter container={{u}}", setup=(_RUN,)),
    Case(f"{_EV} --filter container={{u}} --filter type=image", setup=(_RUN,)),
    Case(f"{_EV} --since 5m --filter container={{u}} --filter event=exec",
         setup=("run -d --name {u} busybox sleep 100", "exec {u} true")),
    Case(f"{_EV} --filter image=localhost/{{u}}:v1",
         setup=("tag busybox localhost/{u}:v1", "rmi localhost/{u}:v1")),
    Case(f"{_EV} --filter image=localhost/{{u}}:v1 --format json",
         setup=("tag busybox localhost/{u}:v1", "rmi localhost/{u}:v1")),
    Case(f"{_EV} --filter pod={{u}}", setup=("pod create --name {u}", "pod rm {u}")),
    Case(f"{_EV} --filter type=volume --filter volume={{u}}",
         setup=("volume create {u}", "volume rm {u}"), diff="events-volume-filter",
         want=(0, "volume create {u}")),
    Case(f"{_EV} --filter bogus=1", diff="events-bad-input",
         want=(125, "bogus is an invalid filter")),
    Case(f"{_EV} --since yesterday", diff="events-bad-input",
         want=(125, "unable to interpret time value")),
]
