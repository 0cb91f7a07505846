"""`--format` for ps, images and inspect, as Docker and Podman users write it.

`gotemplate` is a subset of Go's text/template with docker's functions; `table` is Podman's
report formatter (containers/common pkg/report: header row, Go's tabwriter).  Stdlib only;
the submodules load on first use so that `import supervisor.format` costs nothing on a CLI
path that never formats.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from supervisor.format.gostruct import GoStruct
    from supervisor.format.gotemplate import (
        Template,
        TemplateError,
        compile,
        go_json,
        render,
    )
    from supervisor.format.table import (
        headers,
        is_json,
        report,
        tabwrite,
        tabwrite_text,
    )

__all__ = [
    "GoStruct",
    "Template",
    "TemplateError",
    "compile",
    "format_inspect",
    "go_json",
    "headers",
    "is_json",
    "render",
    "report",
    "tabwrite",
    "tabwrite_text",
]

_WHERE = {
    "GoStruct": "gostruct",
    "Template": "gotemplate",
    "TemplateError": "gotemplate",
    "compile": "gotemplate",
    "go_json": "gotemplate",
    "render": "gotemplate",
    "headers": "table",
    "is_json": "table",
    "report": "table",
    "tabwrite": "table",
    "tabwrite_text": "table",
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'supervisor.format' has no attribute {name!r}")
    import sys

    # __import__, not importlib.import_module: importlib loads warnings (issue 16)
    __import__(f"supervisor.format.{module}")
    value = getattr(sys.modules[f"supervisor.format.{module}"], name)
    globals()[name] = value
    return value


def format_inspect(fmt: str, items: Sequence[object]) -> str:
    """`inspect --format` as Podman's report.Parse(OriginUser) makes it: `\\t` and `\\n`
    unescaped, a newline added at the end, and the template ranged over the items unless it
    ranges itself (so no items print nothing); a `table ` format is aligned, with no header.

    `json` prints one compact JSON array; an empty format is left to the caller (indented
    JSON).
    """
    from supervisor.format.gotemplate import go_json
    from supervisor.format.table import report

    if fmt == "json":
        return go_json(list(items)) + "\n"
    # inspected documents are Go structs: `json` keeps their keys' order
    return report(fmt, "", {}, items, noheading=True, sort_json_keys=False)
