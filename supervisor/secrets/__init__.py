"""Secrets (Podman's `secret create/ls/inspect/rm`, `run --secret`).

    spec.py     pure: names, `--secret SOURCE[,type=,target=,uid=,gid=,mode=]` -> SecretRef
    db.py       the `secrets` table (definitions: id, name, driver, options, labels, times)
    data.py     the file driver's data: one file per secret, 0600 in a 0700 directory
    use.py      per container: mount-type secrets copied into the container's dir at create
                (a later `secret rm` breaks nothing), env-type ones read at start (Podman's)

Only `supervisor.api.secrets` and the container's create/start read a secret's data; no
report, inspect document or log line carries it.
"""
