"""A Go struct in JSON's shape (apart from `format/__init__` and `gotemplate`, which both
name it, so neither imports the other)."""

from __future__ import annotations


class GoStruct(dict[str, object]):
    """JSON prints it as the dict it is, a template's %v as Go prints a struct: its values in
    field order (`{ 8080}` for a PortBinding), not a map."""
