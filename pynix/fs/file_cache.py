"""Whole-file contents for exec and private file mappings, cached by (filesystem, inode, size, mtime).

A program and its shared libraries are mapped again by every exec; reading them once is what a page cache buys
here.  (DESIGN.md's page cache keeps file pages in RAM frames shared with MAP_SHARED mappings; this byte cache
is the step before it: private mappings copy from it into fresh frames on first touch.)
"""
from __future__ import annotations

from collections import OrderedDict

from pynix.fs.vfs import Inode

CACHE_ENTRIES = 64
_cache: OrderedDict[tuple, bytes] = OrderedDict()


def file_bytes(inode: Inode) -> bytes:
    info = inode.stat()
    key = (id(inode.sb), inode.ino, info["size"], info["mtime"], info["mtime_nsec"])
    data = _cache.get(key)
    if data is None:
        data = inode.read_at(0, info["size"])
        _cache[key] = data
        if len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return data
