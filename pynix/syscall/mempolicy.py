"""set_mempolicy, get_mempolicy, mbind, set_mempolicy_home_node, migrate_pages, move_pages: NUMA memory policy
calls answered as a one-node machine (the policies are mm/mempolicy.py).  Node masks are user bitmaps of
`maxnode - 1` bits in unsigned longs, as Linux's get_nodes / copy_nodes_to_user read and write them."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.hal import ACCESS_READ
from pynix.mm.address_space import PAGE_MASK, page_align_up
from pynix.mm.frame_alloc import PAGE_SIZE
from pynix.mm.mempolicy import (MAX_NUMNODES, MPOL_BIND, MPOL_DEFAULT, MPOL_INTERLEAVE, MPOL_PREFERRED_MANY,
                                MPOL_WEIGHTED_INTERLEAVE, NODES_ONLINE, new_policy, split_mode)
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.cred import ptrace_may_access
from pynix.task.task import Task, ThreadGroup
from pynix.uapi.capability import CAP_SYS_NICE

MPOL_F_NODE, MPOL_F_ADDR, MPOL_F_MEMS_ALLOWED = 1, 2, 4
MPOL_MF_STRICT, MPOL_MF_MOVE, MPOL_MF_MOVE_ALL = 1, 2, 4
NR_NODE_IDS = 1


def _get_nodes(task: Task, nmask: int, maxnode: int) -> int:
    """get_nodes: the first maxnode-1 bits of the user mask (EINVAL past a page of bits, or for bits set
    beyond MAX_NUMNODES)."""
    maxnode = (maxnode - 1) & 0xFFFFFFFFFFFFFFFF
    if maxnode == 0 or not nmask:
        return 0
    if maxnode > PAGE_SIZE * 8:
        raise KernelError(errno.EINVAL)
    nbytes = (maxnode + 63) // 64 * 8
    mask = int.from_bytes(copy_from_user(task.mm, nmask, nbytes), "little") & ((1 << maxnode) - 1)
    if mask >> MAX_NUMNODES:
        raise KernelError(errno.EINVAL)
    return mask


def _put_nodes(task: Task, nmask: int, maxnode: int, nodes: int) -> None:
    """copy_nodes_to_user: maxnode-1 bits rounded up to longs, zero past the one long this machine needs."""
    copy = ((maxnode - 1 + 63) // 64) * 8
    nbytes = (NR_NODE_IDS + 63) // 64 * 8
    if copy > nbytes:
        if copy > PAGE_SIZE:
            raise KernelError(errno.EINVAL)
        copy_to_user(task.mm, nmask + nbytes, bytes(copy - nbytes))
        copy = nbytes
    copy_to_user(task.mm, nmask, nodes.to_bytes(8, "little")[:copy])


@syscall
def sys_set_mempolicy(task: Task, mode: int, nmask: int, maxnode: int) -> int:
    policy_mode, flags = split_mode(s32(mode))
    task.mempolicy = new_policy(policy_mode, flags, _get_nodes(task, nmask, maxnode))
    return 0


@syscall
def sys_get_mempolicy(task: Task, policy: int, nmask: int, maxnode: int, addr: int, flags: int) -> int:
    """The task's policy, an area's (MPOL_F_ADDR: an area without its own reports MPOL_DEFAULT), the node of a
    page or the next interleave node (MPOL_F_NODE: 0), or the nodes allowed (MPOL_F_MEMS_ALLOWED)."""
    if flags & ~(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED):
        raise KernelError(errno.EINVAL)
    if nmask and maxnode < NR_NODE_IDS:
        raise KernelError(errno.EINVAL)
    if flags & MPOL_F_MEMS_ALLOWED:
        if flags & (MPOL_F_NODE | MPOL_F_ADDR):
            raise KernelError(errno.EINVAL)
        value, nodes = 0, NODES_ONLINE
    else:
        if flags & MPOL_F_ADDR:
            vma = task.mm.find_vma(addr)
            if vma is None:
                raise KernelError(errno.EFAULT)
            pol = vma.mempolicy
        elif addr:
            raise KernelError(errno.EINVAL)
        else:
            pol = task.mempolicy
        if flags & MPOL_F_NODE:
            if flags & MPOL_F_ADDR:
                task.mm.translate(addr, ACCESS_READ)          # lookup_node faults the page in: EFAULT if it can't
                value = 0
            elif pol is not None and pol is task.mempolicy and pol.mode in (MPOL_INTERLEAVE,
                                                                             MPOL_WEIGHTED_INTERLEAVE):
                value = 0
            else:
                raise KernelError(errno.EINVAL)
        else:
            value = MPOL_DEFAULT if pol is None else pol.mode | pol.flags
        nodes = 0 if pol is None else pol.reported_nodes
    if policy:
        copy_to_user(task.mm, policy, struct.pack("<i", value))
    if nmask:
        _put_nodes(task, nmask, maxnode, nodes)
    return 0


@syscall
def sys_mbind(task: Task, start: int, length: int, mode: int, nmask: int, maxnode: int, flags: int) -> int:
    """Set the policy of [start, start+len): EINVAL for flags, alignment or the policy, EPERM for
    MPOL_MF_MOVE_ALL without privilege, EFAULT for an unmapped hole.  MPOL_MF_STRICT and MPOL_MF_MOVE find every
    page already on the one node."""
    policy_mode, mode_flags = split_mode(s32(mode))
    nodes = _get_nodes(task, nmask, maxnode)
    if flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL):
        raise KernelError(errno.EINVAL)
    if flags & MPOL_MF_MOVE_ALL and not capable(task, CAP_SYS_NICE):
        raise KernelError(errno.EPERM)
    if start & ~PAGE_MASK:
        raise KernelError(errno.EINVAL)
    end = start + page_align_up(length)
    if end < start or length > 1 << 63:
        raise KernelError(errno.EINVAL)
    if end == start:
        return 0
    policy = new_policy(policy_mode, mode_flags, nodes)
    task.mm.set_mempolicy(start, end, policy)
    return 0


@syscall
def sys_set_mempolicy_home_node(task: Task, start: int, length: int, home_node: int, flags: int) -> int:
    """The preferred node of the MPOL_BIND / MPOL_PREFERRED_MANY areas in the range (EOPNOTSUPP for an area with
    another policy; areas without one are skipped)."""
    if start & ~PAGE_MASK or flags:
        raise KernelError(errno.EINVAL)
    if home_node >= MAX_NUMNODES or not NODES_ONLINE >> home_node & 1:
        raise KernelError(errno.EINVAL)
    end = start + page_align_up(length)
    if end < start:
        raise KernelError(errno.EINVAL)
    for vma, lo, hi in task.mm.areas_in(start, end)[0]:
        old = vma.mempolicy
        if old is None:
            continue
        if old.mode not in (MPOL_BIND, MPOL_PREFERRED_MANY):
            raise KernelError(errno.EOPNOTSUPP)
        task.mm.set_mempolicy(lo, hi, type(old)(old.mode, old.flags, old.nodes, old.user_nodes, home_node))
    return 0


def _other(task: Task, pid: int) -> ThreadGroup:
    """find_mm_struct / kernel_migrate_pages' target: ESRCH, or EPERM without ptrace access (CAP_SYS_NICE)."""
    pid = s32(pid)
    thread = task if pid == 0 else task.kernel.tasks.get(pid)
    if thread is None or pid < 0 or thread.group.exit_status is not None:
        raise KernelError(errno.ESRCH)
    if not ptrace_may_access(task.group.creds, thread.group.creds, bool(thread.group.dumpable)):
        raise KernelError(errno.EPERM)
    return thread.group


@syscall
def sys_migrate_pages(task: Task, pid: int, maxnode: int, old_nodes: int, new_nodes: int) -> int:
    """Move a process's pages from `old_nodes` to `new_nodes`: EINVAL if no new node exists; with one node
    nothing moves, and the count of pages that could not be moved is 0."""
    _get_nodes(task, old_nodes, maxnode)
    new = _get_nodes(task, new_nodes, maxnode)
    _other(task, pid)
    if new & ~NODES_ONLINE and not capable(task, CAP_SYS_NICE):
        raise KernelError(errno.EPERM)
    if not new & NODES_ONLINE:
        raise KernelError(errno.EINVAL)
    return 0


@syscall
def sys_move_pages(task: Task, pid: int, count: int, pages: int, nodes: int, status: int, flags: int) -> int:
    """Report (nodes NULL) or move the nodes of a process's pages: each status is the node, 0, for a page in
    memory, -ENOENT for one never touched, -EFAULT outside any mapping; a target node other than 0 ends the call
    with ENODEV."""
    if flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL):
        raise KernelError(errno.EINVAL)
    if flags & MPOL_MF_MOVE_ALL and not capable(task, CAP_SYS_NICE):
        raise KernelError(errno.EPERM)
    group = _other(task, pid)
    count &= 0xFFFFFFFFFFFFFFFF
    addrs = struct.unpack(f"<{count}Q", copy_from_user(task.mm, pages, 8 * count))
    targets = struct.unpack(f"<{count}i", copy_from_user(task.mm, nodes, 4 * count)) if nodes else None
    results: list[int] = []
    for i, addr in enumerate(addrs):
        if targets is not None and not (0 <= targets[i] < MAX_NUMNODES and NODES_ONLINE >> targets[i] & 1):
            copy_to_user(task.mm, status, struct.pack(f"<{len(results)}i", *results))
            raise KernelError(errno.ENODEV)         # the statuses of the pages before it are written
        if group.mm.find_vma(addr) is None:
            results.append(-errno.EFAULT)
        else:
            results.append(0 if group.mm.page_present(addr) else -errno.ENOENT)
    copy_to_user(task.mm, status, struct.pack(f"<{count}i", *results))
    return 0
