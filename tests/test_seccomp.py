"""seccomp: filters and their actions, stacking, inheritance, strict mode, the BPF checker's refusals, the
no_new_privs rule and user notification, differentially against native Linux on every target (qemu-user is no
reference: it refuses seccomp so that the guest cannot filter the emulator's own calls)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from harness import assert_same, assert_same_as_native, build, host_isa, need, pynix_env, run_pynix


def test_filter_actions(target):
    """The acceptance program (openat denied with EPERM, getpid trapped with SIGSYS and its siginfo, ptrace
    killing the process) and every other action."""
    out = assert_same_as_native("seccomp_filter.c", target)
    assert b"openat: -1 EPERM" in out
    assert b"si_errno 42 si_syscall getpid si_arch native si_call_addr = the pc after the syscall" in out
    assert b"acceptance: killed by signal 31 (SIGSYS)" in out
    assert b"KILL_THREAD with two threads: exited 5" in out


def test_stacking_inheritance_strict(target):
    """Two stacked filters (the strictest action wins, the newest filter's data among equals), a child's third
    filter that does not reach its parent, the filters after exec, TSYNC onto an older thread (and its
    refusals), /proc/self/status, and strict mode."""
    out = assert_same_as_native("seccomp_stack.c", target)
    assert b"getppid (ERRNO EPERM under ERRNO EACCES): EPERM" in out
    assert b"after exec: PR_GET_SECCOMP 2" in out and b"Seccomp_filters:\t2" in out
    assert b"thread made before the TSYNC filter: getpgid EXDEV" in out
    assert b"strict (seccomp), then getpid: killed by signal 9" in out


def test_checks(target):
    """The checker's refusals (EINVAL), bad pointers (EFAULT), the no_new_privs rule as nobody (EACCES), the
    chain's length limit (ENOMEM), the queries, and a filter computing its answer with the ALU and M[]."""
    out = assert_same_as_native("seccomp_checks.c", target)
    assert b"backward jump (JA -1)                        EINVAL" in out
    assert b"as nobody without no_new_privs               EACCES" in out
    assert b"4096-instruction filters attached: 7, then ENOMEM" in out
    assert b"getppid: -1 ENOMEM" in out


def test_user_notification(target):
    """SECCOMP_RET_USER_NOTIF round trips through the listener: RECV's data, poll readiness, SEND with a value,
    an error or CONTINUE, ID_VALID, ADDFD (with SEND, at a chosen number), a target killed while it waits and
    the listener closed under a waiting call (ENOSYS), and POLLHUP for a supervisor outside the filter (which it
    got over SCM_RIGHTS) once the target is reaped."""
    out = assert_same_as_native("seccomp_notify.c", target)
    assert b"RECV: getppid from the child: yes, arch native, args 5 6; poll now OUT" in out
    assert b"child: getppid answered 1234" in out
    assert b"child: openat gave a descriptor: yes, reads \"from the parent\"" in out
    assert b"child: getppid with the listener closed: ENOSYS" in out
    assert b"poll on a filter nobody uses: POLLHUP" in out


def _host_program(name: str) -> str:
    need(host_isa() == "x86_64", "the host's x86_64 programs")
    path = shutil.which(name)
    need(path is not None, f"{name} is not installed")
    return path


def test_file_command():
    """Debian's `file`, with and without -S (--no-sandbox).  Debian builds file 5.44 without libseccomp, so
    here -S changes nothing and neither run installs a filter: the output must simply be native's."""
    file = _host_program("file")
    for args in (["/bin/sh", "/bin/dash"], ["-S", "/bin/sh", "/bin/dash"]):
        got, _ = assert_same(file, args)
        assert b"/bin/dash: ELF 64-bit LSB" in got.stdout


def test_ctags_sandbox(tmp_path):
    """Universal Ctags' sandboxed interactive mode (libseccomp's allow-list filter, installed after
    PR_SET_NO_NEW_PRIVS): a generate-tags request answered as natively, and with stdin at /dev/null the
    filter kills it (KILL_THREAD of its only thread: SIGSYS) on the ioctl it then makes, as natively."""
    ctags = _host_program("ctags-universal")
    source = b"int main(void){return 0;}\nstatic int x;\n"
    (tmp_path / "t.c").write_bytes(source)
    request = tmp_path / "request"
    request.write_bytes(b'{"command":"generate-tags","filename":"t.c","size":%d}\n' % len(source) + source)
    got, _ = assert_same(ctags, ["--_interactive=sandbox"], stdin=request, cwd=tmp_path)
    assert b'"name": "main"' in got.stdout and b'"completed"' in got.stdout
    got, _ = assert_same(ctags, ["--_interactive=sandbox"], stdin=Path("/dev/null"))
    assert got.returncode == 128 + 31
    with open("/dev/null", "rb") as null:
        logged = run_pynix(ctags, ["--_interactive=sandbox"], null, extra=("-v",))
    assert b"audit: type=1326" in logged.stderr and b"sig=31" in logged.stderr, logged.describe()


def _joined_strace_lines(text: str) -> list[str]:
    """strace -f's lines without their pid, a call that another thread's line interrupted (`seccomp(... <unfinished
    ...>` then `<... seccomp resumed>)            = 0`) joined back into one line where it began, without the padding
    strace put before the short resumed line's ` = `, stack addresses masked."""
    out: list[str] = []
    pending: dict[str, int] = {}
    for line in text.splitlines():
        m = re.match(r"^(?:\[?(?:pid)?\s*(\d+)\]?\s+)?(.*)$", line)
        pid, rest = m.group(1) or "", re.sub(r"filter=0x[0-9a-f]+", "filter=ADDR", m.group(2))
        resumed = re.match(r"^<\.\.\. \w+ resumed>(.*)$", rest)
        if resumed and pid in pending:
            out[pending.pop(pid)] += re.sub(r"^\)\s+= ", ") = ", resumed.group(1))
        elif rest.endswith(" <unfinished ...>"):
            pending[pid] = len(out)
            out.append(rest[:-len(" <unfinished ...>")])
        else:
            out.append(rest)
    return out


def test_strace_shows_seccomp(tmp_path):
    """`--strace` prints seccomp(2) and a caught seccomp SIGSYS as Debian's strace -f does (the static
    binary's si_call_addr is the same address on both sides; the stack address of the sock_fprog is not)."""
    need(host_isa() == "x86_64" and shutil.which("strace") is not None, "strace on an x86_64 host")
    program = build("seccomp_filter.c", "x86_64-musl")
    native = subprocess.run(["strace", "-f", "-o", str(tmp_path / "ref"), str(program)], env=pynix_env(),
                            capture_output=True, timeout=60)
    need(native.returncode == 0, "strace cannot trace here")
    got = run_pynix(program, extra=[f"--strace=-o {tmp_path / 'pynix'}"])
    assert got.returncode == 0, got.describe()

    def lines(path: Path) -> list[str]:
        return [line for line in _joined_strace_lines(path.read_text()) if line.startswith(("seccomp(", "--- SIGSYS"))]

    ours, theirs = lines(tmp_path / "pynix"), lines(tmp_path / "ref")
    assert [line for line in ours if line.startswith("seccomp(")] == \
        [line for line in theirs if line.startswith("seccomp(")]
    # pynix also shows the SIGSYS that kills (it prints a fatal signal when it is sent; strace does not)
    caught = [line for line in theirs if line.startswith("--- SIGSYS")]
    assert caught and all(line in ours for line in caught), (ours, theirs)
    assert any("si_errno=ENOMSG, si_call_addr=" in line and "si_syscall=__NR_getpid" in line for line in caught)


def test_proc_sys_kernel_seccomp():
    """/proc/sys/kernel/seccomp: the actions this kernel has and those it logs, as Linux's defaults."""
    need(host_isa() == "x86_64" and Path("/bin/busybox").exists(), "busybox-static on an x86_64 host")
    got, _ = assert_same("/bin/busybox", ["cat", "/proc/sys/kernel/seccomp/actions_avail",
                                          "/proc/sys/kernel/seccomp/actions_logged"])
    assert got.stdout.startswith(b"kill_process kill_thread trap errno user_notif trace log allow\n")
