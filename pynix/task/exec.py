"""Running a new program (Linux's fs/exec.c): find and check the executable (binprm), follow `#!` scripts to
their interpreter, read the ELF and its interpreter, build the new address space, then replace the caller's
image at the point of no return (de_thread, close-on-exec, handlers reset)."""
from __future__ import annotations

import errno
import os
import stat as st
from dataclasses import replace
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.notify.fsnotify import fsnotify_close_exec, fsnotify_open_exec
from pynix.fs.vfs import MAY_EXEC, FsContext, Inode, VfsPath, Walker, deny_write_access, permission
from pynix.loader.elf import PAGE
from pynix.loader.exec import ProgramImage, load_program, read_program
from pynix.loader.script import BINPRM_BUF_SIZE, MAX_NESTING, parse_shebang, script_argv
from pynix.mm.address_space import AddressSpace
from pynix.mm.page_cache import PageCache, page_cache
from pynix.task import ptrace
from pynix.task.capability import cap_bprm_creds, file_caps
from pynix.task.cred import Credentials, commit_creds
from pynix.task.exit import do_exit
from pynix.task import seccomp
from pynix.task.fork import release_mm, vfork_release
from pynix.task.pid_namespace import detach_pid
from pynix.task.task import Task, TaskState
from pynix.task.timer import delete_posix_timers
from pynix.uapi.signal import SIG_IGN, SS_DISABLE

if TYPE_CHECKING:
    from pynix.kernel import Kernel


def task_comm(path: "str | bytes") -> str:
    """The name exec gives a task: the last component of the path it was given, cut to TASK_COMM_LEN - 1."""
    return os.fsdecode(os.path.basename(os.fsencode(path)))[:15]


def load_image(kernel: "Kernel", fs: FsContext, path: bytes, argv: list[bytes], envp: list[bytes],
               creds: Credentials, first: VfsPath | None = None, script_inaccessible: bool = False,
               no_new_privs: bool = False) -> tuple[AddressSpace, ProgramImage, bytes, Credentials, bool]:
    """A new address space holding the program at `path` with its initial stack, the program's absolute
    path, the credentials the program runs with and whether it gained privilege (AT_SECURE; `creds` are the
    caller's, see bprm_creds_from_file).  `first`, when given, is the file `path` names, already looked up
    (execveat); else `path` is resolved from the working directory.  A `#!` script runs its interpreter (loader/script.py), which may be
    a script too -- unless `script_inaccessible` (the script was found through a close-on-exec descriptor,
    so the interpreter could not open it: ENOENT).  Raises KernelError (ENOENT, EACCES, ENOEXEC, ELOOP...)
    leaving nothing behind."""
    walker = Walker(fs, creds)
    execfn = path                                  # AT_EXECFN: the path given, also for a script
    previous = None                                # the script opened in the round before
    for _ in range(MAX_NESTING + 1):
        if first is not None:
            target, first = _check_executable(first, creds), None
        else:
            target = _check_executable(walker.resolve(fs.cwd, path), creds)
        fsnotify_open_exec(target)
        if previous is not None:
            fsnotify_close_exec(previous)          # a script's file is put once its interpreter is open
        previous = target
        cache = page_cache(target.inode, kernel.ram, kernel.frames)
        head = cache.read(0, PAGE)                 # prepare_binprm: the first page, through the page cache
        shebang = parse_shebang(head[:BINPRM_BUF_SIZE])
        if shebang is None:
            break
        if script_inaccessible:
            raise KernelError(errno.ENOENT, "a script opened close-on-exec cannot be read by its interpreter")
        argv = script_argv(*shebang, path, argv)
        path = shebang[0]
    else:
        raise KernelError(errno.ELOOP, "#! interpreters nest too deeply")
    elf = _read_elf(kernel, cache, head)
    interp = None
    if elf.interpreter is not None:
        try:
            interp_path = _check_executable(walker.resolve(fs.cwd, os.fsencode(elf.interpreter)), creds)
            fsnotify_open_exec(interp_path)
            interp_cache = page_cache(interp_path.inode, kernel.ram, kernel.frames)
            interp_elf = _read_elf(kernel, interp_cache, interp_cache.read(0, PAGE))
            fsnotify_close_exec(interp_path)
        except KernelError as err:
            raise KernelError(err.errno, f"interpreter {elf.interpreter}: {err}") from None
        if interp_elf.interpreter is not None:
            raise KernelError(errno.ELIBBAD, "the interpreter itself asks for an interpreter")
        interp = (interp_elf, os.fsdecode(fs.mounts.path_of(interp_path, fs.root)))
    new_creds, secure = bprm_creds_from_file(creds, target.inode, no_new_privs)
    abspath = fs.mounts.path_of(target, fs.root)
    mm = kernel.new_mm()
    try:
        image = load_program(mm, elf, argv, envp, execfn, new_creds, secure, name=os.fsdecode(abspath),
                             interp=interp)
    except KernelError:
        mm.destroy()
        raise
    deny_write_access(target.inode)                # the running program's file: ETXTBSY for writers
    mm.exe_file = target.inode
    return mm, image, abspath, new_creds, secure


def bprm_creds_from_file(creds: Credentials, inode: Inode, no_new_privs: bool) -> tuple[Credentials, bool]:
    """The credentials a program runs with, and whether its start is secure (AT_SECURE): bprm_fill_uid's
    set-user-ID and set-group-ID bits (the latter only with group execute; neither under no_new_privs), then
    the capabilities (task/capability.py).  For a `#!` script these are the interpreter's, as in Linux."""
    new = creds
    if not no_new_privs:
        if inode.mode & st.S_ISUID:
            new = replace(new, euid=inode.uid)
        if inode.mode & (st.S_ISGID | st.S_IXGRP) == st.S_ISGID | st.S_IXGRP:
            new = replace(new, egid=inode.gid)
    return cap_bprm_creds(creds, new, file_caps(inode), no_new_privs)


def _check_executable(target: VfsPath, creds: Credentials) -> VfsPath:
    """A file to execute: EACCES unless it is a regular file with execute permission, ETXTBSY while it is open
    for writing (do_open_execat)."""
    inode = target.inode
    if not st.S_ISREG(inode.mode):
        raise KernelError(errno.EACCES, "is a directory" if inode.is_dir else "not a regular file")
    permission(inode, MAY_EXEC, creds)
    if inode.writecount > 0:
        raise KernelError(errno.ETXTBSY, "the file is open for writing")
    return target


def _read_elf(kernel: "Kernel", cache: PageCache, head: bytes):
    """Parse the executable with page cache `cache` and first page `head` (ENOEXEC for what is not an ELF
    program of this machine)."""
    elf = read_program(cache, head)
    if elf.arch is not kernel.arch:
        raise KernelError(errno.ENOEXEC, f"a {elf.arch.name} program cannot run on this {kernel.arch.name} machine")
    return elf


def execve(kernel: "Kernel", task: Task, path: bytes, argv: list[bytes], envp: list[bytes],
           target: VfsPath | None = None, script_inaccessible: bool = False) -> None:
    """Replace the image of `task`'s process with the program `path` names (`target`: the file, when the
    caller has looked it up; see load_image).  Until the new image is built nothing changes, so a failed exec
    returns its error to an intact caller.  An empty `argv` becomes one empty string, as since Linux 5.18,
    so that the program's argv[0] is never NULL."""
    group = task.group
    if not argv:
        kernel.log(f"pid {group.pid} ({task.comm}) executed {os.fsdecode(path)} with NULL argv: empty string added")
        argv = [b""]
    mm, image, exe, creds, secure = load_image(kernel, group.fs, path, argv, envp, group.creds, target,
                                               script_inaccessible, group.no_new_privs)
    # --- point of no return ---
    for other in list(group.tasks):            # de_thread: the other threads die silently
        if other is not task and other.state is not TaskState.ZOMBIE:
            do_exit(kernel, other)
            group.tasks.remove(other)
            kernel.tasks.pop(other.tid, None)
            seccomp.seccomp_filter_release(other)
            detach_pid(other)
    group.tasks = [task]
    if task is kernel.current:
        kernel.account_running()               # the faults counted in the old image are the task's
    release_mm(task.mm)
    group.mm = mm
    group.exe = os.fsdecode(exe)
    if group.fds.users > 1:                    # a CLONE_FILES-shared table is unshared first
        group.fds.users -= 1
        group.fds = group.fds.copy()
    group.fds.close_on_exec()
    group.sigactions = {n: a for n, a in group.sigactions.items() if a.handler == SIG_IGN}
    delete_posix_timers(group)                 # setitimer/alarm timers survive exec, POSIX timers do not
    commit_creds(task, creds)
    if secure:
        task.pdeath_signal = 0                 # a program that gained privilege gets no signal from its parent
    task.clear_child_tid = task.robust_list = task.rseq = 0
    task.altstack_sp, task.altstack_size, task.altstack_flags = 0, 0, SS_DISABLE   # it was in the old image
    task.comm = task_comm(path)
    if kernel.tracer is not None:
        kernel.tracer.sched_process_exec(task, exe)
    if task.ptrace is not None:                # PTRACE_EVENT_EXEC, or the SIGTRAP of an old-style tracee
        ptrace.exec_event(kernel, task, task.tid)
    vfork_release(task)
    cpu = kernel.cpu
    cpu.on_tlb_fill = mm.tlb_fill
    cpu.flush_tlb()
    regs = kernel.arch.start_registers(image.entry, image.stack_pointer)

    def start_image() -> None:
        cpu.reset_user_state()
        cpu.write_many(regs)
    kernel.after_stop(start_image)
