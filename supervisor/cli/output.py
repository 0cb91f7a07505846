"""Printing for the CLI face: JSON, Go templates, tables. Light on imports: `version` uses
it, and nothing here needs the engine."""

from __future__ import annotations

import sys
from typing import Any

from supervisor.errors import UsageError


def print_json(data: Any) -> None:
    import json

    sys.stdout.write(json.dumps(data, indent=4) + "\n")


def render_each(template: str, items: list[Any]) -> None:
    """inspect/info --format: one rendering per item."""
    from supervisor import format as fmt

    try:
        sys.stdout.write(fmt.format_inspect(template, items))
    except fmt.TemplateError as exc:
        raise UsageError(f"template parsing error: {exc}") from exc


def print_table(
    template: str | None,
    default: str,
    header: dict[str, str],
    items: list[dict[str, Any]],
    json_items: list[Any] | None = None,
) -> None:
    """--format: none -> the default table, `json` (Podman's array), `table ...`, a template."""
    from supervisor import format as fmt

    if template == "json":
        print_json(json_items if json_items is not None else items)
        return
    chosen = default if template is None or template.strip() in ("", "table") else template
    try:
        sys.stdout.write(fmt.format_items(chosen, items, header))
    except fmt.TemplateError as exc:
        raise UsageError(f"template parsing error: {exc}") from exc
