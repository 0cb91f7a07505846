"""`scopebox build` with real builds: runc step containers over overlay, busybox as the base."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tests.clihelp import Scopebox, wait_for

pytestmark = pytest.mark.host


def _image(sb: Scopebox, ref: str) -> dict[str, object]:
    out = json.loads(sb("image", "inspect", ref).stdout)
    assert isinstance(out, list)
    return dict(out[0])


def _no_step_containers(sb: Scopebox, base: Path) -> None:
    assert sb("ps", "-aq").stdout == ""

    def unmounted() -> bool:
        with open("/proc/self/mountinfo") as f:
            return not [ln for ln in f if sb.root in ln or sb.runroot in ln]

    # A `run --rm` just before hands its unmount to its monitor's exit command (issue 16):
    # done a moment later, not before `run` returns.
    wait_for(unmounted, timeout=15, what="no mount left")


def test_four_steps_then_cached_then_no_cache(sb: Scopebox, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("payload\n")
    (tmp_path / "Containerfile").write_text(
        "FROM busybox\nENV GREETING=hello\nRUN echo $GREETING > /made && echo ran-step\n"
        'COPY f /app/f\nWORKDIR /app\nUSER 1:1\nEXPOSE 8080\nLABEL k="v w"\n'
        'CMD ["cat", "/made", "f"]\n'
    )
    first = sb("build", "-t", "sb-build-four", str(tmp_path))
    lines = first.stdout.splitlines()
    assert lines[0] == "STEP 1/9: FROM busybox"
    assert "STEP 3/9: RUN echo $GREETING > /made && echo ran-step" in lines
    assert "ran-step" in lines  # the RUN's own output
    assert lines[-4] == "COMMIT sb-build-four"
    assert lines[-2] == "Successfully tagged localhost/sb-build-four:latest"
    image_id = lines[-1]
    assert len(image_id) == 64 and lines[-3] == f"--> {image_id[:11]}"
    assert "Using cache" not in first.stdout
    steps = [ln[4:] for ln in lines if ln.startswith("--> ")]
    shown = sb("images", "-q", "--no-trunc").stdout
    assert not any(f"sha256:{s}" in shown for s in steps[:-1])  # intermediate: only with -a
    assert all(s in sb("images", "-a", "-q").stdout for s in steps)
    cfg = _image(sb, "sb-build-four")["Config"]
    assert isinstance(cfg, dict)
    assert "GREETING=hello" in cfg["Env"] and cfg["WorkingDir"] == "/app"
    assert cfg["User"] == "1:1" and cfg["Labels"] == {"k": "v w"}
    assert cfg["ExposedPorts"] == {"8080/tcp": {}} and cfg["Cmd"] == ["cat", "/made", "f"]
    run = sb("run", "--rm", "sb-build-four")
    assert run.stdout == "hello\npayload\n"
    history = sb("history", "--format", "{{.CreatedBy}}", "sb-build-four").stdout
    assert "echo $GREETING > /made" in history
    again = sb("build", "-t", "sb-build-four", str(tmp_path)).stdout
    assert again.count("--> Using cache") == 8 and "ran-step" not in again.splitlines()
    assert again.splitlines()[-1] == image_id  # every step reused: the same image
    everything = set(sb("images", "-a", "-q").stdout.split())
    fresh = sb("build", "--no-cache", "-q", str(tmp_path)).stdout
    assert fresh.splitlines() == [fresh.strip()] and fresh.strip() != image_id
    _no_step_containers(sb, tmp_path)
    sb("tag", fresh.strip(), "sb-build-fresh")
    assert sb("image", "prune", "-f").stdout == ""  # intermediate images are not dangling
    # rmi takes a build's intermediate images with it (Podman's rmi); --no-prune keeps them
    gone = sb("rmi", "sb-build-fresh").stdout
    assert gone.count("Deleted: ") == len(steps) and gone.startswith("Untagged: ")
    assert set(sb("images", "-a", "-q").stdout.split()) == everything
    sb("rmi", "--no-prune", "sb-build-four")
    assert set(sb("images", "-a", "-q").stdout.split()) == everything - {image_id[:12]}


def test_copy_add_rules(sb: Scopebox, tmp_path: Path) -> None:
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "a.txt").write_text("a")
    (tmp_path / "dir" / "skip.log").write_text("no")
    (tmp_path / "one.txt").write_text("1")
    (tmp_path / "two.txt").write_text("2")
    (tmp_path / ".dockerignore").write_text("**/*.log\n")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo("inside/x")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"xx"))
    (tmp_path / "arch.tar.gz").write_bytes(buf.getvalue())
    (tmp_path / "Dockerfile").write_text(
        "FROM busybox\nWORKDIR /w\nCOPY dir /d/\nCOPY *.txt ./t/\n"
        "RUN echo app:x:1000:1001::/:/bin/sh >> /etc/passwd && echo app:x:1001: >> /etc/group\n"
        "COPY --chown=app:app --chmod=600 one.txt /owned\nADD arch.tar.gz /x/\n"
        "COPY two.txt /tmp\nCOPY --from=busybox /bin/busybox /tmp\n"
        'RUN ls /d /d/sub /w/t /x/inside && stat -c "%u:%g %a" /owned\n'
        'RUN stat -c "%a %F" /tmp /tmp/two.txt /tmp/busybox\n'
    )
    out = sb("build", "-t", "sb-build-copy", str(tmp_path)).stdout
    assert "a.txt" in out and "skip.log" not in out and "sub" in out
    assert "one.txt" in out and "two.txt" in out and "x\n" in out
    assert "1000:1001 600" in out
    # a file copied to an existing directory goes inside it (which keeps its mode)
    assert "1777 directory\n644 regular file\n755 regular file\n" in out
    sb("rmi", "sb-build-copy")


def test_stages_target_args_and_onbuild(sb: Scopebox, tmp_path: Path) -> None:
    (tmp_path / "Containerfile").write_text(
        "ARG WHO=world\nFROM busybox AS first\nARG WHO\nRUN echo hi-$WHO > /greet\n"
        "ONBUILD RUN echo triggered > /trig\n"
        "FROM busybox AS second\nCOPY --from=first /greet /copied\nRUN cat /copied\n"
        "FROM first AS third\n"
    )
    out = sb("build", "--build-arg", "WHO=you", "--target", "second", "-t", "sb-build-st",
             str(tmp_path)).stdout  # fmt: skip
    assert "[1/2] STEP 1/4: FROM busybox AS first" in out
    assert "[2/2] STEP 3/3: RUN cat /copied" in out and "hi-you" in out
    assert "third" not in out
    assert sb("run", "--rm", "sb-build-st", "cat", "/copied").stdout == "hi-you\n"
    # the whole file: the last stage's base is the first, whose ONBUILD runs in it
    sb("build", "-t", "sb-build-on", str(tmp_path))
    assert sb("run", "--rm", "sb-build-on", "cat", "/trig").stdout == "triggered\n"
    _no_step_containers(sb, tmp_path)
    sb("rmi", "sb-build-st", "sb-build-on")


def test_failures_leave_nothing(sb: Scopebox, tmp_path: Path) -> None:
    (tmp_path / "Containerfile").write_text("FROM busybox\nRUN echo before && exit 3\n")
    res = sb("build", "--iidfile", str(tmp_path / "iid"), str(tmp_path), check=False)
    assert res.returncode == 3
    assert res.stderr.strip() == ('Error: building at STEP "RUN echo before && exit 3":'
                                  " while running runtime: exit status 3")  # fmt: skip
    assert "before" in res.stdout and not (tmp_path / "iid").exists()
    # An --iidfile that is not a plain file (a user's /dev/stdout: a symlink) is left alone.
    (tmp_path / "target").write_text("keep")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    res = sb("build", "--iidfile", str(tmp_path / "link"), str(tmp_path), check=False)
    assert res.returncode == 3 and (tmp_path / "link").is_symlink()
    _no_step_containers(sb, tmp_path)
    bad = sb("build", "-f", "-", str(tmp_path), input="FROM busybox\nNOPE x\n", check=False)
    assert bad.returncode == 125 and bad.stderr.count("\n") == 1
    assert 'Unknown instruction: "NOPE"' in bad.stderr and "Traceback" not in bad.stderr
    url = sb("build", "-f", "-", str(tmp_path), input="FROM busybox\nADD http://127.0.0.1:9/y /y\n",
             check=False)  # fmt: skip
    assert url.returncode == 125 and url.stderr.count("\n") == 1
    assert 'reading "http://127.0.0.1:9/y": Get "http://127.0.0.1:9/y":' in url.stderr
    copy_url = sb("build", "-f", "-", str(tmp_path), input="FROM busybox\nCOPY http://x/y /y\n",
                  check=False)  # fmt: skip
    assert copy_url.returncode == 125
    assert copy_url.stderr.endswith(": source can't be a URL for COPY\n")
    none = sb("build", str(tmp_path / "missing"), check=False)
    assert none.returncode == 125 and none.stderr.count("\n") == 1
    _no_step_containers(sb, tmp_path)


def test_iidfile_stdin_and_save(sb: Scopebox, tmp_path: Path) -> None:
    iid = tmp_path / "iid"
    res = sb("image", "build", "-q", "--iidfile", str(iid), "--label", "built=yes",
             "--annotation", "org.example.a=b", "-f", "-", str(tmp_path),
             input="FROM scratch\nCOPY --from=busybox /bin/busybox /busybox\n"
                   'RUN ["/busybox", "touch", "/x"]\n')  # fmt: skip
    image_id = res.stdout.strip()
    assert iid.read_text() == f"sha256:{image_id}"
    doc = _image(sb, image_id)
    assert doc["Labels"] == {"built": "yes"} and doc["Annotations"] == {"org.example.a": "b"}
    assert sb("run", "--rm", image_id, "/busybox", "ls", "/x").stdout == "/x\n"
    saved = tmp_path / "img.tar"
    sb("save", "-o", str(saved), image_id)
    assert tarfile.is_tarfile(saved)
    sb("rmi", image_id)


def test_ignorefile_pull_never_and_buildx_load(sb: Scopebox, tmp_path: Path) -> None:
    """Podman's own 070-build.bats: --ignorefile instead of .containerignore, --pull-never,
    buildx's --load and --jobs accepted."""
    (tmp_path / "keep.txt").write_text("k")
    (tmp_path / "drop.txt").write_text("d")
    (tmp_path / ".containerignore").write_text("keep.txt\n")  # replaced by --ignorefile
    (tmp_path / "my.ignore").write_text("drop.txt\n")
    (tmp_path / "Containerfile").write_text("FROM busybox\nCOPY . /ctx/\nRUN ls /ctx\n")
    out = sb("buildx", "build", "--load", "--jobs", "2", "--pull-never", "--ignorefile",
             str(tmp_path / "my.ignore"), "-t", "sb-build-ign", str(tmp_path)).stdout  # fmt: skip
    assert "keep.txt" in out and "drop.txt" not in out
    missing = sb("build", "--ignorefile", str(tmp_path / "nope"), str(tmp_path), check=False)
    assert missing.returncode == 125 and "nope: no such file" in missing.stderr
    never = sb("build", "--pull-never", "-f", "-", str(tmp_path),
               input="FROM localhost/sb-no-such-base\n", check=False)  # fmt: skip
    assert never.returncode == 125
    sb("rmi", "sb-build-ign")
    _no_step_containers(sb, tmp_path)


def test_run_step_flags_logfile_authfile_and_file_lookup(sb: Scopebox, tmp_path: Path) -> None:
    """Podman's 070-build.bats: --ulimit, --security-opt and --dns-search reach the RUN
    steps; --logfile takes all the output (the id too); a missing --authfile and a base
    --pull-never cannot have fail as Podman's; -f relative to the context; several -f are
    one Containerfile; with no context, the Containerfile's directory is the context."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Containerfile1").write_text(
        "FROM busybox\nRUN grep Seccomp: /proc/self/status; grep 'Max open files'"
        " /proc/self/limits; grep search /etc/resolv.conf\n")  # fmt: skip
    log = tmp_path / "log"
    res = sb("build", "--no-cache", "--ulimit", "nofile=101:102", "--dns-search", "nx.example",
             "--security-opt", "seccomp=unconfined", "--logfile", str(log), "-f",
             "Containerfile1", str(ctx))  # fmt: skip
    text = log.read_text()
    assert res.stdout == "" and res.stderr == ""
    assert "Seccomp:\t0" in text and " 101 " in text and " 102 " in text
    assert "search nx.example" in text
    image_id = text.splitlines()[-1]
    assert len(image_id) == 64
    bogus = sb("build", "--authfile", str(tmp_path / "bogus"), "-", input="FROM scratch\n",
               check=False)  # fmt: skip
    assert bogus.returncode == 125
    assert bogus.stderr == (f"Error: checking authfile: stat {tmp_path / 'bogus'}: no such"
                            " file or directory\n")  # fmt: skip
    never = sb("build", "--pull-never", "-", input="FROM localhost/sb-nosuch:tag\n", check=False)
    assert never.returncode == 125 and never.stderr == (
        "Error: creating build container: localhost/sb-nosuch:tag: image not known\n")
    (tmp_path / "Containerfile2").write_text("FROM busybox\nLABEL second=yes\n")
    two = sb("build", "-q", "-f", str(ctx / "Containerfile1"), "-f",
             str(tmp_path / "Containerfile2")).stdout.strip()  # fmt: skip
    assert _image(sb, two)["Labels"] == {"second": "yes"}
    sb("rmi", "-f", image_id, two)
    _no_step_containers(sb, tmp_path)


def test_add_url_hardlinks_ignore_and_bracket_volumes(sb: Scopebox, tmp_path: Path) -> None:
    """Podman's 070-build.bats: ADD of a URL (a server on loopback here) is a 0600 file named
    after the URL; COPY keeps hardlinks as one inode; an excluded directory is walked only
    for a `!` line naming a path inside it; `VOLUME ['/a', '/b']` (no JSON) makes `/[/a,`."""
    import http.server
    import threading

    served = tmp_path / "srv"
    served.mkdir()
    (served / "README.md").write_text("from the server\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: object, **kw: object) -> None:
            super().__init__(*a, directory=str(served), **kw)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ctx = tmp_path / "ctx"
    (ctx / "sub").mkdir(parents=True)
    (ctx / "subdir2").mkdir()
    (ctx / "f").write_text("linked\n")
    os.link(ctx / "f", ctx / "sub" / "f2")
    (ctx / "subdir2" / "sub1").write_text("x")
    (ctx / ".dockerignore").write_text("subdir2\n!*/sub1*\n")
    url = f"http://127.0.0.1:{server.server_address[1]}/README.md"
    (ctx / "Containerfile").write_text(
        f"FROM busybox\nADD {url} /tmp/\nCOPY . /test\nVOLUME ['/etc/foo', '/etc/bar']\n")
    try:
        sb("build", "-q", "-t", "sb-build-url", str(ctx))
    finally:
        server.shutdown()
    out = sb("run", "--rm", "sb-build-url", "sh", "-c",
             "stat -c '%a %n' /tmp/README.md; cat /tmp/README.md; stat -c %i /test/f"
             " /test/sub/f2; ls /test; find /[ -print").stdout.splitlines()  # fmt: skip
    assert out[:2] == ["600 /tmp/README.md", "from the server"]
    assert out[2] == out[3]  # one inode
    assert "subdir2" not in out[4:] and "/[/etc/foo," in out
    sb("rmi", "sb-build-url")
    _no_step_containers(sb, tmp_path)


def test_runtime_flags_reach_the_run_steps(sb: Scopebox, tmp_path: Path) -> None:
    """Podman's 070-build.bats: a global --runtime-flag goes to runc for the RUN steps; one
    runc refuses fails the step with the runtime's exit status (1), naming the flag."""
    (tmp_path / "Containerfile").write_text("FROM busybox\nRUN echo hi\n")
    bad = sb("--runtime-flag", "invalidflag", "build", "--no-cache", str(tmp_path), check=False)
    assert bad.returncode == 1 and "invalidflag" in bad.stderr
    assert bad.stderr.startswith('Error: building at STEP "RUN echo hi": ')
    ok = sb("--runtime-flag", "log-format=json", "run", "--rm", "busybox", "echo", "ok")
    assert ok.stdout == "ok\n"
    _no_step_containers(sb, tmp_path)


def test_default_mounts_file_in_run_steps_and_containers(sb: Scopebox, tmp_path: Path) -> None:
    """Podman's 070-build.bats (#8679): --default-mounts-file's HOST:CONTAINER lines are in
    the RUN steps and in `run`'s containers, as copies (the host's files stay as they are),
    and not in the image."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "s").write_text("shhh\n")
    conf = tmp_path / "mounts.conf"
    conf.write_text(f"{tmp_path / 'secrets'}:/run/secrets\n")
    (tmp_path / "Containerfile").write_text("FROM busybox\nRUN cat /run/secrets/s\n")
    flag = f"--default-mounts-file={conf}"
    out = sb(flag, "build", "--no-cache", "-t", "sb-build-sec", str(tmp_path)).stdout
    assert "shhh\n" in out
    res = sb(flag, "run", "--rm", "sb-build-sec", "sh", "-c",
             "cat /run/secrets/s; echo x > /run/secrets/s").stdout  # fmt: skip
    assert res == "shhh\n" and (tmp_path / "secrets" / "s").read_text() == "shhh\n"
    plain = sb("run", "--rm", "sb-build-sec", "ls", "/run/secrets/s", check=False)
    assert plain.returncode != 0
    sb("rmi", "sb-build-sec")
    _no_step_containers(sb, tmp_path)


def test_volume_caps_devices_and_no_hosts_in_run_steps(sb: Scopebox, tmp_path: Path) -> None:
    """build -v (a host path, not in the image), --cap-drop, --device, --no-hosts, --shm-size
    and -m reach the RUN steps as Podman's; a relative -v source is refused with Podman's line."""
    (tmp_path / "vol").mkdir()
    (tmp_path / "vol" / "f").write_text("inside\n")
    (tmp_path / "Containerfile").write_text(
        "FROM busybox\nRUN cat /mnt/v/f; grep CapEff /proc/self/status; test -e /etc/hosts"
        " || echo no-hosts; ls -l /dev/fuse; df -k /dev/shm | tail -1\n")  # fmt: skip
    out = sb("build", "--no-cache", "-v", f"{tmp_path / 'vol'}:/mnt/v", "--cap-drop", "all",
             "--shm-size", "32m", "-m", "64m",
             "--no-hosts", "--device", "/dev/fuse", "-t", "sb-build-vol", str(tmp_path))
    assert "inside\n" in out.stdout and "CapEff:\t0000000000000000" in out.stdout
    assert "/dev/fuse" in out.stdout and "no-hosts\n" in out.stdout
    assert " 32768 " in out.stdout  # --shm-size
    assert sb("run", "--rm", "sb-build-vol", "ls", "/mnt/v").stdout == ""
    rel = sb("build", "-v", "vol:/mnt/v", str(tmp_path), check=False)
    assert rel.returncode == 125
    assert rel.stderr == 'Error: invalid host path, must be an absolute path "vol"\n'
    sb("rmi", "sb-build-vol")
    _no_step_containers(sb, tmp_path)


def test_a_build_terminated_mid_step_leaves_no_container(sb: Scopebox, tmp_path: Path) -> None:
    """timeout(1), a CI job's end or systemd stop a build with SIGTERM: the step's container goes
    with it (as with Ctrl-C), not left running without its build (Podman's 040-ps)."""
    (tmp_path / "Containerfile").write_text("FROM busybox\nRUN echo step-started; sleep 60\n")
    build = sb.popen("build", "-t", "sb-build-killed", str(tmp_path))
    assert build.stdout is not None
    for line in build.stdout:
        if line.strip() == "step-started":
            break
    assert sb("ps", "-aq").stdout.strip() != ""  # the step runs as a container
    build.terminate()
    assert build.wait(timeout=30) == 143  # 128 + SIGTERM, as a shell reports it
    build.communicate()
    _no_step_containers(sb, tmp_path)
    assert sb("image", "exists", "sb-build-killed", check=False).returncode == 1
