"""Printing for the CLI face: JSON, Go templates, tables. Light on imports: `version` uses
it, and nothing here needs the engine."""

from __future__ import annotations

import sys

from supervisor.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from supervisor.api import InspectReport, Report
    from supervisor.api.containers import WaitReport
    from supervisor.errors import ScopeboxError


def warn(msg: str) -> None:
    """A warning to stderr in Podman's (logrus') text form, which scripts match on."""
    import time

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    print(f'time="{stamp}" level=warning msg="{msg}"', file=sys.stderr)


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
        render_each(template, [view(d) for d in out] if view else out)
    else:
        print_json(out)
    return code


def confirm(warning: str) -> bool:
    """A prune's question on stdout (Podman asks there too); true for y or yes."""
    sys.stdout.write(warning + "Are you sure you want to continue? [y/N] ")
    sys.stdout.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def print_table(
    template: str | None,
    default: str,
    header: dict[str, str],
    items: list[dict[str, Any]],
    json_items: list[Any] | None = None,
    noheading: bool = False,
) -> None:
    """--format: none -> the default table, `json` (Podman's array), `table ...`, a template;
    `noheading`: a table's rows aligned as with their header, without it (--noheading)."""
    from supervisor import format as fmt

    if template == "json":
        print_json(json_items if json_items is not None else items)
        return
    chosen = default if template is None or template.strip() in ("", "table") else template
    try:
        text = fmt.format_items(chosen, items, header)
        if noheading and chosen.lstrip().startswith("table"):
            text = text.partition("\n")[2]
        sys.stdout.write(text)
    except fmt.TemplateError as exc:
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
