"""The command listings of `help`, `--help` and `GROUP --help`, in Podman's (cobra's) layout:
`Available Commands:` with one line per verb, which scripts, shell completions and Podman's own
015-help test read to find the verbs. Loaded only when a help or a missing-command error is
printed (the verbs' cold start never pays for these tables)."""

from __future__ import annotations

# Podman's own descriptions where the verb is Podman's; a hidden alias (`list`, `umount`,
# `play`, `buildx`) is accepted but not listed, as cobra hides aliases.
TOP = {
    "attach": "Attach to a running container",
    "auto-update": "Auto update containers according to their auto-update policy",
    "build": "Build an image using instructions from Containerfiles",
    "commit": "Create new image based on the changed container",
    "container": "Manage containers",
    "cp": "Copy files/folders between a container and the local filesystem",
    "create": "Create but do not start a container",
    "diff": "Display the changes to the object's file system",
    "events": "Show scopebox events",
    "exec": "Run a process in a running container",
    "export": "Export container's filesystem contents as a tar archive",
    "generate": "Generate structured data based on containers, pods or volumes",
    "healthcheck": "Manage health checks on containers",
    "help": "Help about any command",
    "history": "Show history of a specified image",
    "image": "Manage images",
    "images": "List images in local storage",
    "import": "Import a tarball to create a filesystem image",
    "info": "Display scopebox system information",
    "init": "Initialize one or more containers",
    "inspect": "Display the configuration of object denoted by ID",
    "kill": "Kill one or more running containers with a specific signal",
    "kube": "Play containers, pods or volumes from a structured file",
    "load": "Load image(s) from a tar archive",
    "login": "Login to a container registry",
    "logout": "Logout of a container registry",
    "logs": "Fetch the logs of one or more containers",
    "manifest": "Manipulate manifest lists and image indexes",
    "mount": "Mount a working container's root filesystem",
    "network": "Manage networks",
    "pause": "Pause all the processes in one or more containers",
    "pod": "Manage pods",
    "port": "List port mappings or a specific mapping for the container",
    "ps": "List containers",
    "pull": "Pull an image from a registry",
    "push": "Push an image to a specified destination",
    "quadlet": "Convert Quadlet files into systemd services",
    "rename": "Rename an existing container",
    "restart": "Restart one or more containers",
    "rm": "Remove one or more containers",
    "rmi": "Removes one or more images from local storage",
    "run": "Run a command in a new container",
    "save": "Save image(s) to an archive",
    "search": "Search registry for image",
    "secret": "Manage secrets",
    "start": "Start one or more containers",
    "stats": "Display a live stream of container resource usage statistics",
    "stop": "Stop one or more containers",
    "system": "Manage scopebox",
    "tag": "Add an additional name to a local image",
    "top": "Display the running processes of a container",
    "unmount": "Unmounts working container's root filesystem",
    "unpause": "Unpause the processes in one or more containers",
    "unshare": "Run a command in a modified user namespace",
    "untag": "Remove a name from a local image",
    "update": "Update an existing container",
    "version": "Display the scopebox version information",
    "volume": "Manage volumes",
    "wait": "Block on one or more containers",
}
_CONTAINER_VERBS = ("attach", "commit", "cp", "create", "exec", "export", "init", "kill", "logs",
                    "mount", "pause", "port", "ps", "rename", "restart", "rm", "run", "start",
                    "stats", "stop", "top", "unmount", "unpause", "update", "wait")  # fmt: skip
_IMAGE_VERBS = ("build", "history", "import", "load", "pull", "push", "save", "search", "tag",
                "untag")  # fmt: skip
GROUPS: dict[str, dict[str, str]] = {
    "container": {
        **{verb: TOP[verb] for verb in _CONTAINER_VERBS},
        "checkpoint": "Checkpoints one or more containers",
        "clone": "Clone an existing container",
        "diff": "Inspect changes to the container's file systems",
        "exists": "Check if a container exists in local storage",
        "inspect": "Display the configuration of a container",
        "list": "List containers",
        "prune": "Remove all non running containers",
        "restore": "Restores one or more containers from a checkpoint",
        "runlabel": "Execute the command described by an image label",
    },
    "image": {
        **{verb: TOP[verb] for verb in _IMAGE_VERBS},
        "exists": "Check if an image exists in local storage",
        "inspect": "Display the configuration of an image",
        "list": "List images in local storage",
        "mount": "Mount an image's root filesystem",
        "prune": "Remove unused images",
        "rm": TOP["rmi"],
        "sign": "Sign an image",
        "tree": "Prints layer hierarchy of an image in a tree format",
        "trust": "Manage container image trust policy",
        "unmount": "Unmount an image's root filesystem",
    },
    "image trust": {"set": "Set default trust policy or a new one for a registry",
                    "show": "Display trust policy for the system"},
    "system": {
        "df": "Show scopebox disk usage",
        "events": TOP["events"],
        "info": TOP["info"],
        "migrate": "Migrate containers",
        "prune": "Remove unused data",
        "renumber": "Migrate lock numbers",
        "reset": "Reset scopebox storage",
        "service": "Run API service",
    },
    "network": {
        "connect": "Add container to a network",
        "create": "Create networks for containers and pods",
        "disconnect": "Remove container from a network",
        "exists": "Check if a network exists",
        "inspect": "Inspect network",
        "ls": "List networks",
        "prune": "Remove unused networks",
        "reload": "Reload firewall rules for one or more containers",
        "rm": "Remove networks",
    },
    "volume": {
        "create": "Create a new volume",
        "exists": "Volume exists",
        "export": "Export volumes",
        "import": "Import a tarball contents into a volume",
        "inspect": "Display detailed information on one or more volumes",
        "ls": "List volumes",
        "mount": "Mount volume",
        "prune": "Remove all unused volumes",
        "reload": "Reload all volumes from volume plugins",
        "rm": "Remove one or more volumes",
        "unmount": "Unmount volume",
    },
    "pod": {
        "clone": "Clone an existing pod",
        "create": "Create a new empty pod",
        "exists": "Check if a pod exists in local storage",
        "inspect": "Displays a pod configuration",
        "kill": "Send the specified signal or SIGKILL to containers in pod",
        "logs": "Fetch logs for pod with one or more containers",
        "pause": "Pause one or more pods",
        "prune": "Remove all stopped pods and their containers",
        "ps": "List pods",
        "restart": "Restart one or more pods",
        "rm": "Remove one or more pods",
        "start": "Start one or more pods",
        "stats": "Display a live stream of resource usage statistics for the containers in one"
                 " or more pods",
        "stop": "Stop one or more pods",
        "top": "Display the running processes of containers in a pod",
        "unpause": "Unpause one or more pods",
    },
    "secret": {
        "create": "Create a new secret",
        "exists": "Check if a secret exists in local storage",
        "inspect": "Inspect a secret",
        "ls": "List secrets",
        "rm": "Remove one or more secrets",
    },
    "manifest": {
        "add": "Add images to a manifest list or image index",
        "annotate": "Add or update information about an entry in a manifest list or image index",
        "create": "Create manifest list or image index",
        "exists": "Check if a manifest list exists in local storage",
        "inspect": "Display the contents of a manifest list or image index",
        "push": "Push a manifest list or image index to a registry",
        "remove": "Remove an entry from a manifest list or image index",
        "rm": "Remove manifest list or image index from local storage",
    },
    "kube": {
        "down": "Remove pods based on Kubernetes YAML.",
        "generate": "Generate Kubernetes YAML from containers, pods or volumes.",
        "play": "Play a pod or volume based on Kubernetes YAML.",
    },
    "generate": {
        "kube": "Generate Kubernetes YAML from containers, pods or volumes.",
        "systemd": "Generate systemd units.",
    },
    "healthcheck": {"run": "Run the health check of a container"},
}
# the groups whose verb module reads the subcommand itself (main.py dispatches the others)
OWN_DISPATCH = {"manifest": "manifest", "kube": "kube", "generate": "generate",
                "healthcheck": "healthcheck"}  # fmt: skip


def listing(commands: dict[str, str]) -> list[str]:
    """cobra's column: names padded to the longest (at least 11), then the description."""
    width = max(11, *(len(name) for name in commands))
    return [f"  {name.ljust(width)} {text}" for name, text in sorted(commands.items())]


def group_help(prog: str, group: str) -> str:
    """`podman GROUP --help`: its title, Description, Usage ending in [command], the list."""
    title = TOP.get(group) or GROUPS["image"].get(group.rpartition(" ")[2], group)
    lines = [title, "", "Description:", f"  {title}", "", "Usage:", f"  {prog} {group} [command]",
             "", "Available Commands:", *listing(GROUPS[group]), ""]  # fmt: skip
    return "\n".join(lines)


def top_help(prog: str, options: str) -> str:
    """`podman help` / `--help` / `-h`: Podman's first line (scripts check it), the verbs, then
    the global options (`options`: main.py's table, from its `Options:` line)."""
    lines = ["Manage pods, containers and images", "", "Usage:", f"  {prog} [options] [command]",
             "", "Available Commands:", *listing(TOP), ""]  # fmt: skip
    return "\n".join(lines) + "\n" + options
