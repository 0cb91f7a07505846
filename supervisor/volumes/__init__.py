"""Volumes (issue 14): named and anonymous volumes, `-v`/`--mount` parsing, copy-up.

    mounts.py   pure: `-v`, `--mount`, `--volumes-from` specs -> OCI binds/tmpfs + VolumeMount
    db.py       the `volumes` table (stdlib only: the monitor's exit command removes
                anonymous volumes of `--rm` containers under `python3 -I -S`)
    local.py    the local driver: `$ROOT/volumes/<name>/_data`, copy-up, :U, tmpfs/device
                mounts (stdlib only, same reason)
"""
