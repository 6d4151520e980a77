"""Mount propagation (Linux's fs/pnode.c, Documentation/filesystems/sharedsubtree.rst).

A mount is private (the default), shared (a member of a peer group: a mount or unmount on one member happens on
every other), a slave (it receives what happens on its master peer group, and sends nothing back) or
unbindable (private, and refused as the source of a bind mount).  mount(2) changes the type with MS_SHARED,
MS_PRIVATE, MS_SLAVE and MS_UNBINDABLE (MS_REC: the whole subtree).  A mount namespace copy (CLONE_NEWNS) keeps
the types: the copy of a shared mount is a peer of the original -- or its slave when the new namespace belongs to
another user namespace (CL_SHARED_TO_SLAVE) -- and the copy of a slave a slave of the same master.

A new mount under a shared mount is shared too, and a copy of it is mounted at the same place under every mount
that receives from the parent (its peers, their slaves, recursively); the copies under peers are its peers, the
ones under slaves its slaves.  Unmounting propagates the same way to the receivers' copies that have nothing
mounted on them.  Simplified from Linux: a receiver gets the new mount alone (not a recursive bind's subtree).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynix.fs.vfs import Mount

_group_ids = itertools.count(1)


@dataclass(eq=False)
class PeerGroup:
    """Shared mounts that propagate to each other (their shared:N in mountinfo), and the slaves they send to."""
    id: int = field(default_factory=lambda: next(_group_ids))
    members: "list[Mount]" = field(default_factory=list)
    slaves: "list[Mount]" = field(default_factory=list)


def make_shared(m: "Mount") -> None:
    if m.peers is None:
        m.peers = PeerGroup(members=[m])
    m.unbindable = False


def make_private(m: "Mount") -> None:
    _leave_group(m)
    if m.master is not None:
        m.master.slaves.remove(m)
        m.master = None
    m.unbindable = False


def make_slave(m: "Mount") -> None:
    """A shared mount becomes a slave of its former peers (private if it had none); a slave stays one; a private
    mount is unchanged."""
    group = m.peers
    if group is not None:
        _leave_group(m)
        if group.members:
            if m.master is not None:
                m.master.slaves.remove(m)
            m.master = group
            group.slaves.append(m)
    m.unbindable = False


def make_unbindable(m: "Mount") -> None:
    make_private(m)
    m.unbindable = True


def _leave_group(m: "Mount") -> None:
    group = m.peers
    if group is not None:
        group.members.remove(m)
        m.peers = None
        if not group.members:                   # an emptied group hands its slaves on to its own master (none)
            for slave in group.slaves:
                slave.master = None
            group.slaves.clear()


def copy_propagation(original: "Mount", copy: "Mount", to_slave: bool) -> None:
    """copy_tree's CL_* rules for one mount copied into a new namespace."""
    if original.peers is not None:
        if to_slave:
            copy.master = original.peers
            original.peers.slaves.append(copy)
        else:
            copy.peers = original.peers
            original.peers.members.append(copy)
    elif original.master is not None:
        copy.master = original.master
        original.master.slaves.append(copy)
    copy.unbindable = original.unbindable


def receivers(m: "Mount") -> "list[tuple[Mount, bool]]":
    """Every mount an event on `m` propagates to, with whether it is a peer (True) or a slave (False) of `m`."""
    out: list[tuple[Mount, bool]] = []
    if m.peers is None:
        return out
    seen_groups = {id(m.peers)}
    queue = [(m.peers, True)]
    while queue:
        group, peer = queue.pop(0)
        for member in group.members:
            if member is not m:
                out.append((member, peer))
        for slave in group.slaves:
            out.append((slave, False))
            if slave.peers is not None and id(slave.peers) not in seen_groups:
                seen_groups.add(id(slave.peers))
                queue.append((slave.peers, False))
    return out


def _inside(root, dentry) -> bool:
    d = dentry
    while d is not None:
        if d is root:
            return True
        d = d.parent
    return False


def propagate_mount(new: "Mount") -> None:
    """`new` was just mounted: under a shared parent it is shared, and every receiver of the parent that sees
    its mount point gets a copy there."""
    from pynix.fs.vfs import VfsPath
    parent = new.parent
    if parent is None or parent.peers is None:
        return
    make_shared(new)
    for target, peer in receivers(parent):
        if target.ns is None or not _inside(target.root, new.mountpoint):
            continue                              # (a bind mount of a subtree without that mount point)
        copy = target.ns.mount(new.sb, VfsPath(target, new.mountpoint), source=new.source, readonly=new.readonly,
                               root=new.root)
        if peer:
            copy.peers = new.peers
            new.peers.members.append(copy)
        else:
            copy.master = new.peers
            new.peers.slaves.append(copy)


def propagate_umount(m: "Mount") -> "list[Mount]":
    """The copies of `m` that go with it: on every receiver of its parent, the mount of the same filesystem
    root at the same place, if nothing is mounted on it."""
    parent = m.parent
    if parent is None or parent.peers is None:
        return []
    gone = []
    for target, _ in receivers(parent):
        if target.ns is None:
            continue
        for other in target.ns.mounts:
            if other.parent is target and other.mountpoint is m.mountpoint and other.root is m.root \
                    and not any(o.parent is other for o in target.ns.mounts):
                gone.append(other)
    return gone


def propagation_fields(m: "Mount") -> bytes:
    """mountinfo's optional fields: "shared:N", "master:N"."""
    fields = []
    if m.peers is not None:
        fields.append(b"shared:%d" % m.peers.id)
    if m.master is not None:
        fields.append(b"master:%d" % m.master.id)
    return b"".join(f + b" " for f in fields)
