"""Chapter 2's experiment: which frames the eight pages of tests/guest/book_cow.c map, in the parent and the
child, right after fork and when each process prints (the child after its writes, the parent after the child
has exited and it wrote page 5).  It reads the page tables themselves, through the Python API's kernel objects.

    PYTHONPATH=. python3 docs/book/tools/cow_frames.py PROGRAM

Each frame gets a letter, in the order the tool first sees it: the same letter in both processes is the same
frame, shared.  A capital letter is a writable entry, a small one a read-only entry (after fork: copy-on-write).
"""
import sys

from pynix import PIPE, Machine

START, PAGES = 0x10000000, 8
PROT_WRITE = 2
letters: dict[int, str] = {}


def pages(process) -> str:
    """The eight pages of `process` as letters (`.`: no frame)."""
    mm = process.group.mm
    shown = []
    for page in range(PAGES):
        slot = mm.page_table.leaf_slot(START + page * 4096)
        pte = mm.ram.words[slot] if slot >= 0 else 0
        if not pte & mm.fmt.present_bit:
            shown.append(".")
            continue
        letter = letters.setdefault(mm.fmt.pfn(pte), chr(ord("a") + len(letters)))
        shown.append(letter.upper() if mm.fmt.leaf_prot(pte) & PROT_WRITE else letter)
    return " ".join(shown)


m = Machine(mem="64M")
family = {}                                          # "parent", "child" -> its Process


def show(moment: str) -> None:
    for role, process in family.items():
        if not process.exited:
            print(f"{moment if role == 'parent' else '':15} {role:>6}: {pages(process)}")
            moment = ""


@m.on_syscall(["fork", "clone"], when="exit")
def forked(call):
    if call.result > 0:                              # in the parent: the child's pid
        family["parent"], family["child"] = call.process, m.process(call.result)
        show("after fork")


@m.on_syscall(["write", "writev"], when="enter")
def prints(call):
    show("child prints" if call.process.pid == family["child"].pid else "parent prints")


p = m.spawn([sys.argv[1]], stdout=PIPE)
print(f"{'page:':>23} " + " ".join(str(i) for i in range(PAGES)))
p.wait()
print(p.stdout.decode(), end="")
