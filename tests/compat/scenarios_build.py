"""`build` beside `podman build` (supervisor/build): exit codes, error lines and the image a
build makes (its config and what it runs). Image ids differ between the engines (creation
times), so the full output is compared where it holds none."""

from __future__ import annotations

from tests.compat.scenarios import Case

_CTX = "tests/compat/build"
_BUILD = f"build -q -t {{u}}:v1 {_CTX}"
# not the whole Labels: Podman's builder adds its own version (io.buildah.version)
_FMT = ("'{{.Config.Cmd}} {{.Config.Env}} {{.Config.WorkingDir}} {{.Config.User}}"
        " {{len .Config.ExposedPorts}} {{index .Config.Labels \"org.example.k\"}}'")

BUILD = [
    Case(f"image inspect --format {_FMT} {{u}}:v1", setup=(_BUILD,)),
    Case("run --rm {u}:v1", setup=(_BUILD,)),
    # rmi takes the build's intermediate images with it (Podman's "Deleted:" line for each)
    Case("rmi {u}:v1", setup=(_BUILD,)),
    Case("run --rm --user 0 {u}:v1 ls -ld /srv", "rc", setup=(_BUILD,)),
    Case(f"build -q -t {{u}}:v1 --build-arg WHO=you {_CTX}", "rc"),
    Case(f"build -t {{u}}:v1 -f {_CTX}/stages {_CTX}", "rc"),
    Case("run --rm {u}:v1", setup=(f"build -q -t {{u}}:v1 -f {_CTX}/stages {_CTX}",)),
    Case(f"build -f {_CTX}/fail {_CTX}"),  # STEP lines, the RUN's exit code, Podman's line
    Case(f"build -f {_CTX}/nofrom {_CTX}"),
    Case(f"build -f {_CTX}/bad {_CTX}", "rc"),
    Case(f"build -f {_CTX}/cpmiss {_CTX}", "rc out tail"),  # a missing COPY source
    Case(f"build -f {_CTX}/nosuch {_CTX}", "rc"),
    Case("build tests/compat/nosuchdir", "rc"),
    Case(f"build --format bogus {_CTX}", "rc"),
    Case(f"buildx build -q -t {{u}}:v1 {_CTX}", "rc"),
    Case(f"image build -q --target one -t {{u}}:v1 -f {_CTX}/stages {_CTX}", "rc"),
    Case(f"build --target nosuch -f {_CTX}/stages {_CTX}", "rc"),
    Case(f"build --squash -q {_CTX}", diff="build-squash",
         want=(125, "--squash is not supported")),
    Case(f"build -f {_CTX}/url {_CTX}", "rc"),  # ADD of a URL no server answers
    Case("build -t {u}:v1 tests/compat"),  # neither file: Podman's `stat CTX/Dockerfile` line
]
