"""Printing for the CLI face: JSON, Go templates, tables. Light on imports: `version` uses
it, and nothing here needs the engine."""

from __future__ import annotations

import os
import sys

from supervisor.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any

    from supervisor.api import InspectReport, Report
    from supervisor.api.containers import WaitReport
    from supervisor.errors import ScopeboxError


def print_json(data: Any) -> None:
    if isinstance(data, list) and not data:
        # performance (issue 16): `inspect NOSUCH`'s and an empty `ps --format json`'s `[]`
        # without json (it loads re, enum: ~10 ms of such a call)
        sys.stdout.write("[]\n")
        return
    import json

    sys.stdout.write(json.dumps(data, indent=4) + "\n")


def render_each(template: str, items: list[Any]) -> None:
    """inspect/info --format: one rendering per item."""
    from supervisor import format as fmt

    try:
        sys.stdout.write(fmt.format_inspect(template, items))
    except fmt.TemplateError as exc:
        raise UsageError(f"template parsing error: {exc}") from exc


def print_inspected(
    reports: Iterable[InspectReport],
    template: str | None,
    exit_code: Callable[[ScopeboxError], int] | None = None,
    view: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> int:
    """The inspect verbs' output: the documents found as one JSON array (or each through
    --format, seen through `view`), each miss as an error line; the exit code is the last
    miss's (the verb's own mapping when `exit_code` is given), 0 when all were found."""
    out: list[dict[str, Any]] = []
    code = 0
    for report in reports:
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = exit_code(report.err) if exit_code else report.err.exit_code
        elif report.data is not None:
            out.append(report.data)
    if template and template != "json":
        if view is None and any(n in template for n in (".ID", ".Healthcheck", ".SdNotify")):
            view = _go_names
        render_each(template, [view(d) for d in out] if view else out)
    else:
        print_json(out)
    return code


def remove_regular_file(path: str) -> None:
    """Drop an output file (an --iidfile after a failure) only if it is a plain file: a user's
    `/dev/stdout` (a symlink) or a fifo must survive (unlinking it broke /dev/stdout here)."""
    import stat

    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass


def _go_names(doc: dict[str, Any]) -> dict[str, Any]:
    """Podman's inspect types name some fields otherwise than their JSON keys, and templates
    read the Go names (Podman's own tests do): `{{.ID}}` (JSON `Id`) for images and
    containers, `{{.State.Healthcheck}}` (JSON `State.Health`), `{{.Config.SdNotifyMode}}`
    and `{{.Config.SdNotifySocket}}` (JSON `sdNotifyMode`, `sdNotifySocket`; Go prints "" for
    an empty string field). The JSON names still work."""
    if "Id" in doc and "ID" not in doc:
        doc = {**doc, "ID": doc["Id"]}
    state = doc.get("State")
    if isinstance(state, dict) and "Health" in state and "Healthcheck" not in state:
        doc = {**doc, "State": {**state, "Healthcheck": state["Health"]}}
    config = doc.get("Config")
    if isinstance(config, dict) and "sdNotifyMode" in config:  # JSON's sdNotify* (omitempty)
        go = {"SdNotifyMode": config["sdNotifyMode"],
              "SdNotifySocket": config.get("sdNotifySocket", "")}
        doc = {**doc, "Config": {**config, **go}}
    return doc


def confirm(warning: str) -> bool:
    """A prune's question on stdout (Podman asks there too); true for y or yes."""
    sys.stdout.write(warning + "Are you sure you want to continue? [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def print_table(
    template: str | None,
    default: str,
    header: Mapping[str, str],
    items: Sequence[Any],
    json_items: list[Any] | None = None,
    noheading: bool = False,
    always_header: bool = False,
) -> None:
    """A listing as Podman prints it: `template` is the user's --format (None: not given,
    then the verb's `default`): `json` (Podman's array), `table ...`, or a template;
    `noheading` (--noheading) drops a table's header row."""
    from supervisor import format as fmt

    if template is not None and fmt.is_json(template):
        print_json(json_items if json_items is not None else items)
        return
    try:
        sys.stdout.write(fmt.report(template, default, header, items, noheading=noheading,
                                    always_header=always_header))
    except fmt.TemplateError as exc:
        sys.stdout.write(exc.partial)  # Podman flushes what its writer holds, then fails
        raise UsageError(f"template parsing error: {exc}") from exc


def print_reports(reports: Sequence[Report | WaitReport],
                  shown: Callable[[Any], object] = lambda r: r.raw_input) -> int:
    """Each item's outcome, as Docker does: what was done (`shown`: the item as given, or
    `wait`'s exit code) on stdout, each failure on stderr; the exit code is the last
    failure's (0 when all succeeded)."""
    code = 0
    for report in reports:
        if report.err is not None:
            print(f"Error: {report.err}", file=sys.stderr)
            code = report.err.exit_code
        else:
            print(shown(report), flush=True)
    return code
