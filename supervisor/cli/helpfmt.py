"""`VERB --help` in Podman's layout (cobra's): the description, `Usage:`, `Options:` with
`-a, --all   text` lines; scripts and users read it as they read `podman VERB --help`."""

from __future__ import annotations

import argparse


def podman_help(parser: argparse.ArgumentParser) -> str:
    options: list[tuple[str, str]] = []
    positionals: list[str] = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if not action.option_strings:
            name = str(action.metavar or action.dest or "ARG").upper()
            # parse_intermixed_args keeps a positional's nargs aside while --help is read
            nargs = getattr(action, "save_nargs", action.nargs)
            many = nargs in ("*", "+", argparse.REMAINDER)
            optional = nargs in ("*", "?", argparse.REMAINDER)
            text = f"{name} [{name}...]" if many else name
            positionals.append(f"[{text}]" if optional else text)
            continue
        options.append((_flag(action), _text(action)))
    width = max((len(f) for f, _ in options), default=0) + 3
    lines = [(parser.description or "").rstrip(".")]
    # a verb's own synopsis (argparse's `usage` is not it: parse_intermixed_args sets that)
    synopsis = getattr(parser, "synopsis", "") or f"[options] {' '.join(positionals)}"
    lines += ["", "Usage:", f"  {parser.prog} {synopsis}".rstrip()]
    lines += ["", "Options:"]
    lines += [f"  {flag.ljust(width)}{text}".rstrip() for flag, text in options]
    return "\n".join(lines) + "\n"


def _flag(action: argparse.Action) -> str:
    shorts = [o for o in action.option_strings if not o.startswith("--")]
    longs = [o for o in action.option_strings if o.startswith("--")]
    text = ", ".join(shorts + longs) if shorts else "    " + ", ".join(longs)
    if action.nargs != 0:
        kind = "int" if action.type is int else "string"
        if isinstance(action, argparse._AppendAction):
            kind += "Array" if kind == "string" else "s"
        text += f" {kind}"
    return text


def _text(action: argparse.Action) -> str:
    text = (action.help or "").replace("%(default)s", str(action.default))
    if action.choices and "(" not in text:
        text += f" ({', '.join(str(c) for c in action.choices)})"
    if action.option_strings == ["-h", "--help"]:
        return "help for this command"
    text = text.strip()
    return text[:1].upper() + text[1:]
