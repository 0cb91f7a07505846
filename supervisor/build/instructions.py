"""The instructions that change only the image's config (ENV, LABEL, ARG, WORKDIR's path,
USER, STOPSIGNAL, EXPOSE, VOLUME, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER),
applied to a stage's state. Pure."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from supervisor.build.parser import (
    BuildFileError,
    Instruction,
    arg_decl,
    command,
    expand,
    expand_words,
    key_values,
    parse_instruction,
)
from supervisor.errors import UsageError

if TYPE_CHECKING:
    from supervisor.manifests import Descriptor

DEFAULT_SHELL = ["/bin/sh", "-c"]


@dataclass
class StageState:
    """The image a stage has built so far."""

    config: dict[str, Any]  # the whole OCI image config
    layers: list[Descriptor]
    image_id: str = ""  # stored as this image ("": not yet)
    args: dict[str, str] = field(default_factory=dict)  # the stage's declared ARGs
    cmd_set: bool = False  # CMD given in this stage (ENTRYPOINT then keeps it)



def apply_config(ins: Instruction, cfg: dict[str, Any], state: StageState,
                 env: dict[str, str], esc: str, build_args: dict[str, str],
                 global_args: dict[str, str]) -> None:  # fmt: skip
    """A config-only instruction (and WORKDIR's path) applied to the image's `config`."""
    verb, args = ins.cmd, ins.args
    if verb == "ENV":
        for key, value in key_values(args, env, esc, "ENV"):
            env[key] = value
            cfg["Env"] = [*(e for e in cfg.get("Env") or [] if not e.startswith(f"{key}=")),
                          f"{key}={value}"]  # fmt: skip
    elif verb == "LABEL":
        for key, value in key_values(args, env, esc, "LABEL"):
            cfg["Labels"] = {**(cfg.get("Labels") or {}), key: value}
    elif verb == "ARG":
        name, default = arg_decl(args, env, esc)
        value = build_args.get(name, default if default is not None
                               else global_args.get(name, ""))  # fmt: skip
        state.args[name] = value
    elif verb == "WORKDIR":
        path = expand(args, env, esc)
        if not path:
            raise BuildFileError("WORKDIR requires exactly one argument")
        path = os.path.normpath(os.path.join(cfg.get("WorkingDir") or "/", path))
        cfg["WorkingDir"] = path
    elif verb in ("USER", "STOPSIGNAL"):
        value = expand(args, env, esc)
        if not value:
            raise BuildFileError(f"{verb} requires exactly one argument")
        cfg["User" if verb == "USER" else "StopSignal"] = value
    elif verb == "EXPOSE":
        for port in expand_words(args, env, esc):
            cfg.setdefault("ExposedPorts", {})[port if "/" in port else f"{port}/tcp"] = {}
    elif verb == "VOLUME":
        paths = list(ins.json_args) if ins.json_args is not None else expand_words(args, env, esc)
        for path in paths:
            cfg.setdefault("Volumes", {})[path] = {}
    elif verb in ("CMD", "ENTRYPOINT"):
        argv = command(ins, list(cfg.get("Shell") or DEFAULT_SHELL))
        if verb == "CMD":
            cfg["Cmd"], state.cmd_set = argv, True
        else:
            cfg["Entrypoint"] = argv
            if not state.cmd_set:
                cfg.pop("Cmd", None)  # Docker: a new ENTRYPOINT drops the base's CMD
    elif verb == "SHELL":
        if ins.json_args is None or not ins.json_args:
            raise BuildFileError("SHELL requires the arguments to be in JSON form")
        cfg["Shell"] = list(ins.json_args)
    elif verb == "HEALTHCHECK":
        cfg["Healthcheck"] = healthcheck(ins, list(cfg.get("Shell") or DEFAULT_SHELL))
    elif verb == "ONBUILD":
        trigger = parse_instruction(args, ins.line, esc)
        if trigger.cmd in ("ONBUILD", "FROM", "MAINTAINER"):
            raise BuildFileError(f"{trigger.cmd} isn't allowed as an ONBUILD trigger")
        cfg["OnBuild"] = [*(cfg.get("OnBuild") or []), args]
    elif verb == "MAINTAINER":
        state.config["author"] = args


_DURATIONS = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod"}


def healthcheck(ins: Instruction, shell: list[str]) -> dict[str, Any]:
    from supervisor.build.parser import parse_instruction as _p

    if ins.args.strip().upper() == "NONE":
        return {"Test": ["NONE"]}
    kind, _, rest = ins.args.partition(" ")
    if kind.upper() != "CMD" or not rest.strip():
        raise BuildFileError(f"HEALTHCHECK: expected NONE or CMD: {ins.original!r}")
    inner = _p(f"CMD {rest.strip()}", ins.line)
    test = ["CMD", *inner.json_args] if inner.json_args is not None else ["CMD-SHELL",
                                                                          inner.args]
    out: dict[str, Any] = {"Test": test}
    for flag, value in ins.flags:
        if flag in _DURATIONS:
            out[_DURATIONS[flag]] = _nanoseconds(value)
        elif flag == "retries":
            out["Retries"] = int(value) if value.isdigit() else 0
        else:
            raise BuildFileError(f"HEALTHCHECK: unknown flag --{flag}")
    return out


def _nanoseconds(text: str) -> int:
    from supervisor.health import parse_duration

    try:
        return parse_duration("HEALTHCHECK duration", text)
    except UsageError:
        raise BuildFileError(f"HEALTHCHECK: bad duration {text!r}") from None

