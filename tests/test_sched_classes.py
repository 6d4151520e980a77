"""Differential test of the scheduling classes (issue #14): sched_setscheduler/setparam/setattr and their
getters, SCHED_RESET_ON_FORK, permissions, and a SCHED_FIFO task running before a normal one on one CPU; under
pynix against native Linux (the x86_64-musl build runs natively for every target); and util-linux's chrt."""
from __future__ import annotations

import shutil

from harness import assert_same, assert_same_as_native, host_isa, need


def test_sched_classes(target):
    out = assert_same_as_native("sched_classes.c", target)
    assert b"SCHED_OTHER parent: the child ran while the parent spun: 1\n" in out
    assert b"SCHED_FIFO parent: the child ran while the parent spun: 0\n" in out
    assert b"child of rr reset-on-fork: policy 0 priority 0 rr interval fair\n" in out
    assert b"user: FIFO 1: EPERM\n" in out
    assert b"ALL DONE\n" in out


def test_chrt():
    need(host_isa() == "x86_64" and shutil.which("chrt") is not None, "util-linux's chrt (x86_64 host)")
    script = ("for p in '-f 10' '-r 5' '-b 0' '-i 0' '-o 0'; do chrt $p chrt -p 0; done | sed 's/pid [0-9]*/pid N/';"
              " chrt -m; chrt -f 200 true; echo $?")
    got, _ = assert_same("/bin/sh", ["-c", script])
    assert b"pid N's current scheduling policy: SCHED_FIFO\npid N's current scheduling priority: 10\n" in got.stdout
