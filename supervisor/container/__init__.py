"""One module per container operation, each a function of the engine's context (`ctx`).

create, start (launch: the monitor and runtime sequence), stop, kill, pause, wait, remove,
cleanup (the monitor's exit command), teardown, reconcile (refresh), rename, restart, export,
rootfs, oci (the runtime's command line). See docs/ARCHITECTURE.md.
"""
