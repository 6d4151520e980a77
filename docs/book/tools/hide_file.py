"""Chapter 8's experiment: a syscall hook of the Python API makes every openat of one file fail with ENOENT."""
import sys

from pynix import PIPE, Machine

hidden = sys.argv[1].encode()
m = Machine(mem="64M")


@m.on_syscall("openat", when="enter")
def hide(call):
    if call.string(1) == hidden:
        call.skip(-2)                     # -ENOENT: the call does not run


p = m.spawn(["/bin/busybox", "cat", sys.argv[1]], stdout=PIPE, stderr=PIPE)
print(p.wait(), p.stderr.decode().strip())
