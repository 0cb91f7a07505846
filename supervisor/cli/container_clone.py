"""scopebox container clone [--name N] [--destroy [-f]] [--run] [--pod P] [limits]
CONTAINER [NAME] [IMAGE]"""

from __future__ import annotations

from supervisor.cli.common import add_resource_flags, resource_options
from supervisor.cli.main import new_parser
from supervisor.errors import UsageError
from supervisor.settings import Settings


def main(argv: list[str], settings: Settings) -> int:
    p = new_parser("container clone", "Create a copy of a container, with other limits, name,"
                   " image or pod.")  # fmt: skip
    a = p.add_argument
    a("--name", default="", help="the copy's name (default: CONTAINER-clone)")
    a("--destroy", action="store_true", help="remove the original container")
    a("-f", "--force", action="store_true", help="remove the original even if it runs"
      " (with --destroy)")
    a("--run", action="store_true", help="start the copy")
    a("--pod", default="", help="the pod the copy joins (default: the original's)")
    add_resource_flags(p, "process limit (-1 for unlimited)")
    a("container")
    a("new_name", metavar="NAME", nargs="?")
    a("image", metavar="IMAGE", nargs="?")
    ns = p.parse_args(argv)
    if ns.name and ns.new_name:
        raise UsageError("cannot specify --name and a name argument: give one")
    from supervisor.api import containers as api
    from supervisor.resources import ResourceOptions

    limits = resource_options(ns)
    req = api.CloneRequest(name=ns.name or ns.new_name or "", image=ns.image or "",
                           resources=None if limits == ResourceOptions() else limits,
                           pod=ns.pod, destroy=ns.destroy, force=ns.force,
                           run=ns.run)  # fmt: skip
    print(api.clone(settings, ns.container, req))
    return 0
