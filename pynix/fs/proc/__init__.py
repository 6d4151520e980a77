"""procfs (Linux's fs/proc/): the guest's /proc, generated from the kernel's own state whenever it is read, in Linux's formats.

- Per process, /proc/<pid>/ (every live or zombie thread group; also /proc/<tid>/ for any thread, unlisted as on
  Linux): auxv, cmdline, comm, cwd, environ, exe, fd/, fdinfo/, limits, maps, mem, mountinfo, mounts, root,
  smaps, smaps_rollup, stat, statm, status, task/<tid>/ (the same files for one thread).
- /proc/self and /proc/thread-self: symlinks that depend on who reads them (`kernel.current`).
- Global files: cmdline, cpuinfo (from `Arch.cpuinfo`), filesystems, loadavg, meminfo, mounts (-> self/mounts),
  stat, swaps, uptime, version, config.gz, a few sysctls under sys/ (kernel, vm, fs), and sysvipc/ (ipc/).

Inodes are created afresh by every lookup and nothing below /proc is kept in the dentry cache: processes come
and go and pids are reused, which Linux handles with pid_revalidate.  Here every procfs directory refuses its
cached entries (`revalidate`), and the dentries of a procfs mount do not even keep them (`_Uncached`, installed
on the mount's root dentry by the first lookup in it), so dead processes are not held in memory by names once
looked up.  A file's text is generated when it is read at offset 0 and kept while the reader moves
forward through it (seq_file's behaviour for sequential reads), so a read in small pieces sees one consistent
snapshot.

Links in /proc/<pid>/fd name what each descriptor refers to: the path of a file opened by path, "pipe:[ino]",
or for the host streams the guest was started with, the host's own name for them (a host terminal "/dev/pts/N",
which devfs also provides; a host pipe "pipe:[ino]").  Linux follows these links without resolving the text
(nd_jump_link), which matters for pipes and deleted files; here the text is resolved, and so that a name like
"pipe:[ino]" still reopens the pipe (`cat /dev/stdin`, `echo > /dev/stderr`), the fd directory also answers
lookups of those names.  `follow_link(path)` on the link inodes gives the exact target for a VFS that supports
magic links.

Command lines and environments are read from the process's memory through the user-access layer, like Linux's
get_mm_cmdline, between the `arg_start`/`arg_end`/`env_start`/`env_end` the loader records in the address space.

The package follows fs/proc/: `inode` (the inode and file kinds), `root` (the superblock and /proc), `base`
(/proc/<pid>), `array` (stat, status and what they show of a process), `fd`, `namespaces`, `task_mmu` (maps,
smaps, mounts), `misc` (the global files) and `proc_sysctl` (/proc/sys, /proc/sysvipc).
"""
from __future__ import annotations

from pynix.fs.proc.base import PidDir
from pynix.fs.proc.fd import fd_link_text
from pynix.fs.proc.inode import ProcDir, ProcInode, mount_id
from pynix.fs.proc.misc import FILESYSTEMS
from pynix.fs.proc.root import ProcfsSuperBlock, ProcValues, TreeDir

__all__ = ["FILESYSTEMS", "PidDir", "ProcDir", "ProcInode", "ProcValues", "ProcfsSuperBlock", "TreeDir", "fd_link_text",
           "mount_id"]
