"""NUMA memory policies (Linux's mm/mempolicy.c) on a machine with one node: node 0 holds all the memory.

A policy (set_mempolicy for a task, mbind for a range of its address space) is checked and kept as Linux does
it -- the mode, its flags, the nodes (what the caller asked for intersected with the nodes that exist, so {0},
or nothing for MPOL_LOCAL) -- and reported back by get_mempolicy; with one node every policy allocates from node
0 anyway, so none changes where a page goes, and moving pages between nodes has nothing to move.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass

from pynix.errors import KernelError

MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL, MPOL_PREFERRED_MANY = 0, 1, 2, 3, 4, 5
MPOL_WEIGHTED_INTERLEAVE, MPOL_MAX = 6, 7
MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES = 1 << 13, 1 << 14, 1 << 15
MPOL_MODE_FLAGS = MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING
NODES_ONLINE = 0b1                        # node 0
MAX_NUMNODES = 1024                       # CONFIG_NODES_SHIFT=10, as Debian builds Linux


@dataclass(frozen=True)
class MemPolicy:
    mode: int
    flags: int = 0
    nodes: int = 0                        # bitmask of nodes the policy uses
    user_nodes: int = 0                   # the caller's own mask (reported back for STATIC/RELATIVE_NODES)
    home_node: int = -1

    @property
    def reported_nodes(self) -> int:
        """get_mempolicy's nodemask: the caller's for MPOL_F_STATIC_NODES/RELATIVE_NODES, else the policy's."""
        return self.user_nodes if self.flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES) else self.nodes


def split_mode(mode: int) -> tuple[int, int]:
    """sanitize_mpol_flags: (mode, flags); EINVAL for an unknown mode, STATIC with RELATIVE, or NUMA_BALANCING
    with a mode other than MPOL_BIND / MPOL_PREFERRED_MANY."""
    flags, mode = mode & MPOL_MODE_FLAGS, mode & ~MPOL_MODE_FLAGS & 0xFFFFFFFF
    if mode >= MPOL_MAX or flags & MPOL_F_STATIC_NODES and flags & MPOL_F_RELATIVE_NODES:
        raise KernelError(errno.EINVAL)
    if flags & MPOL_F_NUMA_BALANCING and mode not in (MPOL_BIND, MPOL_PREFERRED_MANY):
        raise KernelError(errno.EINVAL)
    return mode, flags


def new_policy(mode: int, flags: int, nodes: int) -> MemPolicy | None:
    """mpol_new: None for MPOL_DEFAULT (EINVAL with nodes); MPOL_PREFERRED without nodes is MPOL_LOCAL;
    MPOL_LOCAL takes no nodes; the others need nodes that meet the online ones (any, relatively mapped, with
    MPOL_F_RELATIVE_NODES)."""
    static_or_relative = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES)
    if mode == MPOL_DEFAULT:
        if nodes:
            raise KernelError(errno.EINVAL)
        return None
    if mode == MPOL_PREFERRED and not nodes:
        if static_or_relative:
            raise KernelError(errno.EINVAL)
        mode = MPOL_LOCAL
    elif mode == MPOL_LOCAL:
        if nodes or static_or_relative:
            raise KernelError(errno.EINVAL)
    elif not nodes:
        raise KernelError(errno.EINVAL)
    if mode == MPOL_LOCAL:
        return MemPolicy(mode, flags)
    effective = NODES_ONLINE if flags & MPOL_F_RELATIVE_NODES else nodes & NODES_ONLINE
    if not effective:
        raise KernelError(errno.EINVAL)
    if mode == MPOL_PREFERRED:
        effective &= -effective                # the first node of the mask
    return MemPolicy(mode, flags, effective, nodes)
