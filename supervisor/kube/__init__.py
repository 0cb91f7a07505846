"""Kubernetes YAML (issue 15): `generate kube` and `play kube`.

Pure converters between the engine's containers and pods and Kubernetes documents
(`generate`, `play`), the YAML reader with its limits (`yamlio`), and `source`, which reads a
container's stored config into the generator's input. PyYAML is imported only here, lazily:
the CLI's cold start for other verbs does not pay for it. State: none of its own; `play`
drives pods, volumes and containers through the engine (`supervisor/api/kube.py`)."""
