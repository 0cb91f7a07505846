"""tables: the verbs' tables as Podman 4.3 lays them out (containers/common's report writer:
tabwriter 12/2, `table ` templates, header names from Go field names), compared exactly: the
values that differ between any two runs (ids, ages, sizes) are normalised cell by cell, and
each table's spacing must be what Podman's writer makes (test_compat's `aligned`)."""

from __future__ import annotations

from tests.compat.scenarios import Case

_DONE = "ps -a --filter name=^done$"
_VOLUME = ("volume create {u}",)
_POD = ("pod create --name {u}",)
_SECRET = ("secret create {u} tests/compat/secret.txt",)

TABLES = [
    # ps: the default table, its flags, custom tables, what `table` without a space is
    Case(_DONE),
    Case("ps --filter name=^web$"),  # a running one: `Up 2 minutes ago`, as Podman 4.3 words it
    Case("ps --filter name=^web$ --format 'table {{.Status}}\\t{{.Names}}'"),
    Case(f"{_DONE} --noheading"),
    Case(f"{_DONE} --no-trunc"),
    Case(f"{_DONE} --size"),
    Case(f"{_DONE} --pod"),
    Case("ps -a --filter name=^zzz$ --noheading"),
    Case(f"{_DONE} --format 'table {{{{.ID}}}} {{{{.Names}}}}  x'"),
    Case(f"{_DONE} --format 'table {{{{lower .Names}}}} {{{{json .Names}}}}'"),
    Case(f"{_DONE} --format 'table {{{{.ExitCode}}}}\\t{{{{.PodName}}}}\\t{{{{.RunningFor}}}}"
         "\\t{{.IsInfra}}'"),
    Case(f"{_DONE} --format 'table {{{{.Names}}}}' --noheading"),
    Case(f"{_DONE} --format table"),
    Case(f"{_DONE} --format 'table '"),
    Case(f"{_DONE} --format ''"),
    Case(f"{_DONE} --format '{{{{.Names}}}}\\t{{{{.ExitCode}}}}'"),
    # the three containers the set-up made (another scenario's may be there in one engine)
    Case("ps -a --filter name=^done$ --filter name=^web$ --filter name=^fresh$"
         " --format '{{range .}}{{.Names}},{{end}}' --sort names"),
    Case("ps -a --filter name=^zzz$ --format 'table {{.Names}}\\t{{.Status}}'"),
    Case(f"{_DONE} --format 'table {{{{.Labels.app}}}}'", "rc out"),
    # images, history
    Case("images busybox"),
    Case("images --noheading busybox"),
    Case("images --digests localhost/extra"),
    Case("images --format 'table {{.ID}} {{.Repository}} {{.Tag}} {{.ReadOnly}}' busybox"),
    Case("history --format 'table {{.ID}} {{.Size}}' busybox"),
    # networks, volumes, pods, secrets (the empty ones: the header alone, or nothing)
    Case("network ls --filter name=^podman$"),
    Case("network ls --noheading --filter name=^podman$"),
    Case("network ls --filter name=^podman$ --format"
         " 'table {{.Name}} {{.DNSEnabled}} {{.IPv6Enabled}} {{.Internal}}'"),
    Case("volume ls --filter name={u}", setup=_VOLUME),
    Case("volume ls --noheading --filter name={u}", setup=_VOLUME),
    Case("volume ls --filter name={u} --format 'table {{.Name}} {{.Scope}} {{.MountCount}}'",
         setup=_VOLUME),
    Case("volume ls --filter name=nosuchzzz"),
    Case("pod ps --filter name={u}", setup=_POD),
    Case("pod ps --filter name={u} --noheading", setup=_POD),
    Case("pod ps --filter name={u} --format 'table {{.ID}} {{.Name}} {{.NumberOfContainers}}'",
         setup=_POD),
    Case("pod ps --filter name=nosuchzzz"),
    Case("secret ls --filter name={u}", setup=_SECRET),
    Case("secret ls --filter name={u} --noheading", setup=_SECRET),
    Case("secret ls --filter name=nosuchzzz"),
    # system df (its counts differ: Podman counts an image per name) and stats
    Case("system df --format 'table {{.Type}}'"),
    Case("stats --no-stream --format 'table {{.Name}} {{.PIDS}} {{.PIDs}}' web"),
    # the same report.Parse for one document or event: `\t` is a tab, no items print nothing
    Case("inspect --format '{{.Name}}\\t{{.State.Status}}' done"),
    Case("inspect --format '{{.Name}}' nosuch", "rc out"),
    Case("version --format '{{.Client.OsArch}}\\t{{.Client.Os}}'"),
    Case("events --stream=false --filter container={u} --filter event=create"
         " --format '{{.Name}}\\t{{.Status}}'", setup=("create --name {u} busybox true",)),
]
