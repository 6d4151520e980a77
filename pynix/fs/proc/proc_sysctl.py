"""/proc/sys and /proc/sysvipc (Linux's fs/proc/proc_sysctl.c, ipc/util.c's proc files)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from pynix.fs.locks import LeaseSettings
from pynix.fs.notify.dnotify import DnotifySettings
from pynix.fs.notify.fanotify import LIMITS as FANOTIFY_LIMITS
from pynix.fs.notify.inotify import LIMITS as INOTIFY_LIMITS
from pynix.fs.proc.inode import as_bytes, random_uuid
from pynix.fs.proc.task_mmu import net_sysctls
from pynix.fs.sysctl import int_sysctl
from pynix.task.nsproxy import reader_nsproxy
from pynix.task.seccomp import ActionsLogged, actions_avail
from pynix.uapi.capability import CAP_LAST_CAP

if TYPE_CHECKING:
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.ipc.util import IpcNamespace

def _setting(owner: object, attr: str, low: int) -> tuple:
    """A writable sysctl holding a number >= `low` in `owner.attr`: (render, mode, write)."""
    render, write = int_sysctl(owner, attr, low)
    return render, 0o644, write


def sysctl_tree(sb: ProcfsSuperBlock) -> dict:
    kernel = sb.kernel

    def value(fn: Callable[[], object], mode: int = 0o644):
        return (lambda: as_bytes(f"{fn()}\n"), mode, None)

    def const(v: object, mode: int = 0o644):
        return value(lambda: v, mode)

    values = sb.values
    has_ns = getattr(kernel, "init_nsproxy", None) is not None

    def ns_sysctls(files: Callable[["IpcNamespace"], dict]) -> dict:
        """The reader's IPC namespace's files (their names are the same in every namespace)."""
        if not has_ns:
            return {}
        def pick(name: bytes, which: int):
            return lambda *args: files(reader_nsproxy(kernel).ipc)[name][which](*args)
        return {name: (pick(name, 0), 0o644, pick(name, 1)) for name in files(kernel.init_nsproxy.ipc)}
    ipc_sysctls = ns_sysctls(lambda ipc: ipc.sysctls())
    return {
        b"kernel": {
            **ipc_sysctls,
            b"hostname": value(lambda: reader_nsproxy(kernel).uts.nodename.decode("utf-8", "replace")),
            b"domainname": value(lambda: reader_nsproxy(kernel).uts.domainname.decode("utf-8", "replace")),
            b"ostype": const("Linux", 0o444),
            b"osrelease": const(values.release, 0o444),
            b"version": const(values.version, 0o444),
            b"pid_max": const(values.pid_max),
            b"threads-max": value(lambda: getattr(kernel, "pids_max", 4096)),
            b"ngroups_max": const(65536, 0o444),
            b"cap_last_cap": const(CAP_LAST_CAP, 0o444),
            b"overflowuid": const(65534),
            b"overflowgid": const(65534),
            b"seccomp": {
                b"actions_avail": (actions_avail, 0o444, None),
                b"actions_logged": (ActionsLogged.render, 0o644, ActionsLogged.write),
            },
            b"random": {
                b"boot_id": const(sb.boot_id, 0o444),
                b"uuid": value(random_uuid, 0o444),
                b"entropy_avail": const(256, 0o444),
                b"poolsize": const(256, 0o444),
            },
        },
        b"vm": {
            b"overcommit_memory": const(0),
            b"overcommit_ratio": const(50),
            b"max_map_count": const(65530),
            b"mmap_min_addr": const(65536),
        },
        b"fs": {
            b"inotify": {name.encode(): _setting(INOTIFY_LIMITS, name, 0)
                         for name in ("max_queued_events", "max_user_instances", "max_user_watches")},
            b"fanotify": {name.encode(): _setting(FANOTIFY_LIMITS, name, 0)
                          for name in ("max_queued_events", "max_user_groups", "max_user_marks")},
            b"dir-notify-enable": _setting(DnotifySettings, "enable", 0),
            **({b"mqueue": ns_sysctls(lambda ipc: ipc.mqueue.limits.sysctls())} if has_ns else {}),
            b"lease-break-time": _setting(LeaseSettings, "break_time", 0),
            b"leases-enable": _setting(LeaseSettings, "enable", 0),
            b"pipe-max-size": const(1048576),
            b"file-max": const(9223372036854775807),
            b"nr_open": const(1048576),
        },
        b"net": {section: {name: const(v, 0o444) for name, v in values.items()}
                 for section, values in net_sysctls().items()},
    }


def sysvipc_tree(kernel) -> dict:
    """/proc/sysvipc: the System V IPC objects, as ipcs reads them (pynix/ipc/)."""
    from pynix.ipc.msg import proc_sysvipc_msg
    from pynix.ipc.sem import proc_sysvipc_sem
    from pynix.ipc.shm import proc_sysvipc_shm
    if getattr(kernel, "init_nsproxy", None) is None:
        return {}
    return {b"shm": (lambda: proc_sysvipc_shm(reader_nsproxy(kernel).ipc), 0o444, None),
            b"sem": (lambda: proc_sysvipc_sem(reader_nsproxy(kernel).ipc), 0o444, None),
            b"msg": (lambda: proc_sysvipc_msg(reader_nsproxy(kernel).ipc), 0o444, None)}
