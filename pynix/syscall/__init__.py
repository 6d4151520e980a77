"""System calls: one module per family, registered by Linux name, dispatched through per-arch tables."""
from __future__ import annotations

import importlib

# Each family module and the system calls it implements, by Linux name: the per-arch tables import a family only
# when a program first makes one of its calls (dispatch.SyscallTable), so a run pays for the families it uses.
# tests/test_syscall_index.py checks this list against what each module registers; a call missing here still
# works (its first use imports every family) but the test says where to add it.
FAMILIES: dict[str, tuple[str, ...]] = {
    "fs_read_write": ("read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2",
                      "pwritev2"),
    "fs_fd": ("dup", "dup2", "dup3", "close", "close_range", "fcntl"),
    "pipe": ("pipe2", "pipe"),
    "fs_open": ("openat", "open", "openat2", "creat", "lseek", "getdents64", "getdents", "ftruncate", "truncate"),
    "fs_stat": ("fstat", "newfstatat", "stat", "lstat", "statx", "faccessat", "faccessat2", "access", "readlinkat",
                "readlink", "getcwd", "chdir", "fchdir", "chroot", "umask", "statfs", "fstatfs"),
    "fs_namei": ("mkdirat", "mkdir", "mknodat", "mknod", "unlinkat", "unlink", "rmdir", "renameat2", "renameat",
                 "rename", "linkat", "link", "symlinkat", "symlink"),
    "fs_attr": ("fchmod", "fchmodat", "fchmodat2", "chmod", "fchownat", "chown", "lchown", "fchown", "utimensat",
                "futimesat", "utimes", "utime", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
                "fadvise64", "readahead", "fallocate", "flock"),
    "fs_copy": ("sendfile", "copy_file_range"),
    "splice": ("splice", "tee", "vmsplice"),
    "fs_ioctl": ("ioctl",),
    "poll": ("poll", "ppoll", "select", "pselect6"),
    "xattr": ("getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr",
              "fsetxattr", "removexattr", "lremovexattr", "fremovexattr"),
    "mmap": ("mmap", "munmap", "mprotect", "mremap", "msync", "mincore", "brk", "madvise", "pkey_alloc", "pkey_free",
             "pkey_mprotect", "process_madvise", "process_mrelease", "cachestat"),
    "mlock": ("mlock", "mlock2", "munlock", "mlockall", "munlockall"),
    "process": ("exit", "exit_group", "getpid", "gettid", "getppid", "set_tid_address", "set_robust_list",
                "get_robust_list", "prlimit64", "getrlimit", "setrlimit", "arch_prctl", "riscv_flush_icache"),
    "cred": ("getuid", "geteuid", "getgid", "getegid", "setuid", "setgid", "setreuid", "setregid", "setresuid",
             "setresgid", "getresuid", "getresgid", "setfsuid", "setfsgid", "getgroups", "setgroups"),
    "prctl": ("prctl",),
    "capability": ("capget", "capset"),
    "membarrier": ("membarrier",),
    "rseq": ("rseq",),
    "time": ("clock_gettime", "clock_getres", "clock_settime", "settimeofday", "gettimeofday", "time", "nanosleep",
             "clock_nanosleep", "adjtimex", "clock_adjtime"),
    "random": ("getrandom",),
    "signal": ("rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend", "pause",
               "rt_sigtimedwait", "sigaltstack", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
               "alarm", "getitimer", "setitimer", "restart_syscall"),
    "sys_info": ("uname", "sethostname", "setdomainname", "sysinfo"),
    "futex": ("futex", "futex_wake", "futex_wait", "futex_requeue", "futex_waitv"),
    "clone": ("clone", "clone3", "fork", "vfork", "unshare"),
    "exec": ("execve", "execveat"),
    "wait": ("wait4", "waitid"),
    "sched": ("sched_yield", "sched_getaffinity", "sched_setaffinity", "getpriority", "setpriority", "getcpu",
              "sched_get_priority_max", "sched_get_priority_min", "sched_setscheduler", "sched_setparam",
              "sched_getscheduler", "sched_getparam", "sched_setattr", "sched_getattr", "sched_rr_get_interval"),
    "pgrp": ("setpgid", "getpgid", "getpgrp", "setsid", "getsid"),
    "rusage": ("getrusage", "times"),
    "posix_timers": ("timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete"),
    "timerfd": ("timerfd_create", "timerfd_settime", "timerfd_gettime"),
    "signalfd": ("signalfd4", "signalfd"),
    "mount": ("mount", "umount2", "pivot_root"),
    "eventfd": ("eventfd2", "eventfd"),
    "eventpoll": ("epoll_create1", "epoll_create", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2"),
    "socket": ("socket", "socketpair", "bind", "listen", "connect", "accept", "accept4", "getsockname", "getpeername",
               "shutdown", "getsockopt", "setsockopt"),
    "socket_msg": ("sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg"),
    "memfd": ("memfd_create",),
    "syslog": ("syslog",),
    "ipc": ("shmget", "shmat", "shmdt", "shmctl", "semget", "semtimedop", "semop", "semctl", "msgget", "msgsnd",
            "msgrcv", "msgctl"),
    "mqueue": ("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"),
    "inotify": ("inotify_init1", "inotify_init", "inotify_add_watch", "inotify_rm_watch"),
    "pidfd": ("pidfd_open", "pidfd_send_signal", "pidfd_getfd"),
    "process_vm": ("process_vm_readv", "process_vm_writev", "kcmp"),
    "personality": ("personality",),
    "ioprio": ("ioprio_get", "ioprio_set"),
    "mempolicy": ("set_mempolicy", "get_mempolicy", "mbind", "set_mempolicy_home_node", "migrate_pages",
                  "move_pages"),
    "fhandle": ("name_to_handle_at", "open_by_handle_at"),
    "fs_super": ("ustat", "sysfs"),
    "lsm": ("lsm_list_modules",),
    "fanotify": ("fanotify_init", "fanotify_mark"),
    "seccomp": ("seccomp",),
    "ptrace": ("ptrace",),
    "nsproxy": ("setns",),
}


def load_handlers() -> dict:
    """Import every family module (each registers its handlers) and return the name -> handler map."""
    from pynix.syscall.registry import HANDLERS
    for family in FAMILIES:
        importlib.import_module(f"pynix.syscall.{family}")
    return HANDLERS


def implemented_names() -> set[str]:
    return set(load_handlers())
