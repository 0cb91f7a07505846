"""`NamedTuple` without `typing`, for the modules every CLI verb loads (issue 16).

`import typing` loads `re`, `enum`, `functools` and `contextlib`: milliseconds at every call
of `ps`, `inspect` or `version`, more than the rest of such a verb. For mypy this is
`typing.NamedTuple`; at run time the same class statement makes the same class as typing's
does (a `collections.namedtuple` with the fields, defaults, methods, properties and docstring
of the class body). tests/unit/test_records.py compares the two.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    from collections import namedtuple

    # what the class body holds that namedtuple makes itself
    _OWN = frozenset({"__annotations__", "__module__", "__qualname__", "__dict__", "__weakref__"})

    def _namedtuple(name, namespace):
        annotations = namespace.get("__annotations__", {})
        fields = list(annotations)
        defaults = []
        for field in fields:
            if field in namespace:
                defaults.append(namespace[field])
            elif defaults:
                raise TypeError(f"Non-default namedtuple field {field} cannot follow"
                                f" default field{'s' if len(defaults) > 1 else ''}"
                                f" {', '.join(f for f in fields if f in namespace)}")
        cls = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
        cls.__annotations__ = annotations
        cls.__qualname__ = namespace.get("__qualname__", name)
        for key, value in namespace.items():
            if key not in _OWN and key not in annotations:
                setattr(cls, key, value)
        return cls

    class _NamedTupleMeta(type):
        def __new__(cls, name, bases, namespace):
            return _namedtuple(name, namespace)

    NamedTuple = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})
