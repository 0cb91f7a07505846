"""Events (issue 14): Podman 4.3's `podman events`, without a daemon.

Each process that causes an event writes it (the CLI for what it does, the container's monitor
for `died`, `exec_died` and `health_status`, teardown for `cleanup`) to the backend chosen by
`events_logger` / `--events-backend`: `file` (one JSON object per line, Podman's keys in
Podman's order), `journald` or `none`. `record` (the event and its two text forms), `filters`
(--filter, --since, --until) are pure; `write` appends, `read` reads and follows. Standard
library only: the monitor's exit command (`python3 -I -S`) writes `cleanup` through `write`.
"""
