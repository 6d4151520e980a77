"""Differential tests of System V IPC (issue #14): shared memory, semaphores and message queues under pynix
against native Linux (the x86_64-musl build of the same program: qemu-user, the usual riscv64 reference, gets
several IPC details wrong -- shm modes after fork, msg_lrpid, SHM_REMAP and IPC_64 checks), and util-linux's
ipcmk/ipcs/ipcrm under pynix."""
from __future__ import annotations

import os
import shutil
import subprocess

from harness import (assert_no_traceback, assert_same, assert_same_as_native, host_isa, need, run_pynix,
                     run_reference)


def test_sysv_shm(target):
    out = assert_same_as_native("sysv_shm.c", target)
    assert b"child after fork: size 10000 nattch 4 " in out
    assert b"parent reads: from the child\n" in out
    assert b"removed, attached: size 10000 nattch 1 mode 1640 " in out
    assert b"store into rdonly child: 139\n" in out
    assert b"ALL DONE\n" in out


def test_sysv_sem(target):
    out = assert_same_as_native("sysv_sem.c", target)
    assert b"same sem twice: ok\nafter: 1 0 4\n" in out
    assert b"GETNCNT: 1\n" in out and b"GETZCNT 2: 1\n" in out
    assert b"child: interrupted: EINTR\n" in out
    assert b"undone at exit: 5 1 0\n" in out
    assert b"child: on removed set: EIDRM\n" in out
    assert b"ALL DONE\n" in out


def test_sysv_msg(target):
    out = assert_same_as_native("sysv_msg.c", target)
    assert b"type -4: 5 type 1 'one-b'\n" in out
    assert b"type 5 small buffer: E2BIG\ntype 5 noerror: 2 type 5 'fi'\n" in out
    assert b"child: type 7: 5 type 7 'seven'\n" in out
    assert b"child: removed queue: EIDRM\n" in out
    assert b"ALL DONE\n" in out


def _need_ipc_tools() -> None:
    need(host_isa() == "x86_64", "the host's util-linux binaries are x86_64")
    need(all(shutil.which(tool) for tool in ("ipcs", "ipcmk", "ipcrm")), "util-linux's ipcs/ipcmk/ipcrm missing")


def test_ipcs_limits_and_summary():
    """`ipcs -l` and `ipcs -u` read /proc/sys/kernel and the *_INFO commands: the same as natively (Linux's
    default limits; nothing allocated, as in a new IPC namespace: the reference runs in one, since the host's own
    namespace holds whatever other programs on the machine created)."""
    _need_ipc_tools()
    ipcs = shutil.which("ipcs")
    assert_same(ipcs, ["-l"])
    unshare = shutil.which("unshare")
    need(unshare is not None and os.geteuid() == 0 and
         subprocess.run([unshare, "--ipc", "true"], capture_output=True).returncode == 0,
         "no new IPC namespace here (unshare --ipc as root) for the reference of ipcs -u")
    ref = run_reference(unshare, ["--ipc", ipcs, "-u"])
    got = run_pynix(ipcs, ["-u"])
    assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), \
        f"\n=== pynix ===\n{got.describe()}\n=== reference ===\n{ref.describe()}"


def test_ipcmk_ipcs_ipcrm():
    """ipcmk creates (random keys), ipcs lists them through /proc/sysvipc, ipcrm -a removes them all.  Only under
    pynix: natively ipcrm -a would remove every object of the host."""
    _need_ipc_tools()
    script = ("ipcmk -M 8192 >/dev/null && ipcmk -S 4 >/dev/null && ipcmk -Q >/dev/null && "
              "ipcs | awk 'NF >= 5 && $1 ~ /^0x/ {print $4, $5, $6}'; "
              "ipcs -m -i 0 | grep -o 'bytes=8192'; ipcrm -a && ipcs | grep -c '^0x'")
    got = run_pynix("/bin/sh", ["-c", script])
    assert_no_traceback(got)
    assert got.stdout == b"644 0 0\n644 8192 0\n644 4 \nbytes=8192\n0\n", got.describe()


IPC_SYSCTLS = ("kernel/shmmni kernel/shmmax kernel/shmall kernel/msgmax kernel/msgmnb kernel/msgmni kernel/sem "
               "fs/mqueue/msg_max fs/mqueue/msgsize_max fs/mqueue/queues_max fs/mqueue/msg_default "
               "fs/mqueue/msgsize_default fs/inotify/max_queued_events fs/inotify/max_user_instances")


def test_ipc_sysctls_and_kernel_config():
    """The IPC and notification limits under /proc/sys read as a default Linux's (natively the same); writing one
    changes what the kernel enforces; /proc/config.gz says which features this kernel has."""
    need(host_isa() == "x86_64", "the host's /bin/sh is x86_64")
    script = f'cd /proc/sys; for f in {IPC_SYSCTLS}; do echo "$f: $(cat $f)"; done'
    assert_same("/bin/sh", ["-c", script])
    got = run_pynix("/bin/sh", ["-c", "echo 2 > /proc/sys/kernel/shmmni && cat /proc/sys/kernel/shmmni && "
                                      "ipcmk -M 10 >/dev/null && ipcmk -M 10 >/dev/null && ipcmk -M 10; "
                                      "zcat /proc/config.gz | grep -E 'SYSVIPC|POSIX_MQUEUE|INOTIFY_USER|SWAP'"])
    assert_no_traceback(got)
    assert got.stdout.startswith(b"2\n"), got.describe()
    assert b"No space left on device" in got.stderr, got.describe()
    assert got.stdout.endswith(b"CONFIG_SYSVIPC=y\nCONFIG_POSIX_MQUEUE=y\nCONFIG_INOTIFY_USER=y\n"
                               b"# CONFIG_SWAP is not set\n"), got.describe()
