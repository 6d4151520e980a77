"""Namespaces (issue 16): differential guest programs for each kind -- UTS, IPC, mount, pid, user; unshare, clone,
setns, nsfs inodes and ioctls, pid numbering and reaping, mount isolation, uid_map rules -- run natively (as
root: they make namespaces) and under pynix on every target, and the acceptance commands: util-linux's and
busybox's `unshare` with a user, mount and pid namespace and /proc mounted inside, with a UTS namespace, and
`unshare -n ip link` showing a loopback device alone."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import harness
from harness import assert_same, assert_same_as_native

BUSYBOX = Path("/bin/busybox")
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"


@pytest.fixture(autouse=True)
def as_root() -> None:
    harness.need(os.geteuid() == 0, "the native reference makes namespaces: it needs root")


def test_uts_namespace(target):
    out = assert_same_as_native("ns_uts.c", target)
    assert b"child: uname nodename inner\n" in out and b"parent: hostname unchanged: 1\n" in out
    assert b"child: back in the first: 1, hostname the outer one: 1\n" in out
    assert b"clone child: hostname cloned\n" in out and b"user: unshare CLONE_NEWUTS: EPERM\n" in out


def test_ipc_namespace(target):
    out = assert_same_as_native("ns_ipc.c", target)
    assert b"child: outer queue by key: ENOENT\n" in out and b"parent: the child's POSIX queue: ENOENT\n" in out
    assert b"child: back: the outer queue: ok, empty: 1\n" in out


def test_mount_namespace(target):
    out = assert_same_as_native("ns_mnt.c", target)
    assert b"parent: a mounted 1, file 1\nparent: b mounted 0, file 0\n" in out
    assert b"parent: the child's /proc/PID/mounts: a 0, b 1\n" in out
    assert b"child: now a mounted 1, b mounted 0, cwd: ok\n" in out and b"ALL DONE\n" in out
    assert b"peer: sees the parent's p1: 1\n" in out and b"not the slave's c2: 1\n" in out
    assert b"slave: sees p2: 1, p1 gone: 1\n" in out and b"bind it: EINVAL\n" in out
    assert b"child: pivot_root onto b: ok\nchild: the new root has b's file: 1, the old root under /old: 1\n" in out


def test_pid_namespace(target):
    out = assert_same_as_native("ns_pid.c", target)
    assert b"pid1: getpid 1 getppid 0\n" in out and b"mid: getpid 2 getppid 1\n" in out
    assert b"orphan: getpid 3, re-parented to 1\n" in out
    assert b"pid1: still alive after SIGUSR1 and SIGKILL from inside\n" in out
    assert b"parent: the orphan died with the namespace: 1\n" in out and b"fork into the dead namespace: ENOMEM\n" in out


def test_user_namespace(target):
    out = assert_same_as_native("ns_user.c", target)
    assert b"unmapped: uid 65534 euid 65534 gid 65534\n" in out and b"uid_map own uid: ok\nuid_map again: EPERM\n" in out
    assert b"gid_map before setgroups deny: EPERM\n" in out and b"root child: uid 65534 gid 65534\n" in out


# ----------------------------------------------------------------------------------- the acceptance commands
PS = {"util-linux": "ps -o pid=,comm= > /mnt/ps", "busybox": "ps -o pid,comm > /mnt/ps"}


def _unshare_tool(tool: str) -> tuple[str, list[str]]:
    if tool == "util-linux":
        harness.need(Path(UNSHARE).exists(), "util-linux's unshare is missing")
        return UNSHARE, []
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    return str(BUSYBOX), ["unshare"]


@pytest.mark.parametrize("tool", ["util-linux", "busybox"])
def test_unshare_user_mount_pid(tool):
    program, prefix = _unshare_tool(tool)
    script = (f'echo $$; mount -t tmpfs x /mnt; {PS[tool]}; while read p c; do echo "$p $c"; done < /mnt/ps; '
              'grep -c " /mnt " /proc/self/mounts; id -u')
    got, _ = assert_same(program, prefix + ["-Urmpf", "--mount-proc", "sh", "-c", script])
    lines = got.stdout.decode().splitlines()
    processes = [line for line in lines[1:-2] if not line.startswith("PID")]
    assert lines[0] == "1" and processes[0].startswith("1 ") and lines[-2:] == ["1", "0"], got.stdout


@pytest.mark.parametrize("tool", ["util-linux", "busybox"])
def test_unshare_uts(tool):
    program, prefix = _unshare_tool(tool)
    unshare = " ".join([program] + prefix)
    script = (f'h=$(hostname); {unshare} -u sh -c "hostname inner; hostname"; '
              f'[ "$(hostname)" = "$h" ] && echo host unchanged; {unshare} -m sh -c "mount -t tmpfs y /mnt"; '
              f'grep -c " /mnt " /proc/self/mounts')
    got, _ = assert_same(str(BUSYBOX), ["sh", "-c", script])
    assert got.stdout == b"inner\nhost unchanged\n0\n"


def test_unshare_net_ip_link():
    ip = shutil.which("ip")
    harness.need(ip is not None, "iproute2's ip is missing")
    got, _ = assert_same(UNSHARE, ["-n", ip, "link"])
    assert got.stdout.startswith(b"1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN") and b"\n2:" not in got.stdout


def test_nsenter_joins_a_process_namespaces():
    """util-linux's nsenter opens /proc/PID/ns/* of another process and setns(2)s into them."""
    harness.need(shutil.which("nsenter") is not None, "util-linux's nsenter is missing")
    script = ('d=$(mktemp -d); mkfifo $d/f; unshare -u sh -c "hostname inner; echo > $d/f; exec sleep 30" & '
              'read x < $d/f; nsenter -t $! -u hostname; nsenter -t $! -u -m -i -n true; echo $?; '
              'hostname | grep -c inner; kill $!; wait; rm -r $d')
    got, _ = assert_same("/bin/sh", ["-c", script])
    assert got.stdout == b"inner\n0\n0\n"
