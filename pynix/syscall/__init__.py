"""System calls: one module per family, registered by Linux name, dispatched through per-arch tables."""
from __future__ import annotations

import importlib

FAMILIES = ("fs_read_write", "fs_fd", "pipe", "fs_open", "fs_stat", "fs_namei", "fs_attr", "fs_copy", "splice",
            "fs_ioctl", "poll", "xattr", "mmap", "mlock", "process", "cred", "prctl", "capability",
            "membarrier", "rseq", "time", "random", "signal", "sys_info", "futex", "clone", "exec", "wait",
            "sched", "pgrp", "rusage", "posix_timers", "timerfd", "signalfd", "mount", "eventfd", "eventpoll",
            "socket", "socket_msg", "memfd", "syslog", "ipc", "mqueue", "inotify", "pidfd", "process_vm",
            "personality", "ioprio", "mempolicy", "fhandle", "fs_super", "lsm", "nsproxy")


def load_handlers() -> dict:
    """Import every family module (each registers its handlers) and return the name -> handler map."""
    from pynix.syscall.registry import HANDLERS
    for family in FAMILIES:
        importlib.import_module(f"pynix.syscall.{family}")
    return HANDLERS


def implemented_names() -> set[str]:
    return set(load_handlers())
