"""`pynix run --strace='OPTIONS'` against Debian's strace (`strace -f OPTIONS`) on the same static x86_64 binary.

The program (guest/strace_calls.c) makes a fixed set of file, descriptor, process and signal calls.  Where both
runs make the same calls the outputs must agree: the syscall names and counts of -c, the names -e trace=%CLASS
selects, the descriptor paths -y prints, and the shape of -T, -tt, -r, -s, the pid prefixes and the signal and
exit lines.  Not compared: the first execve (pynix loads the first program itself, strace sees the call).
"""
from __future__ import annotations

import collections
import re
import shutil
import subprocess

import pytest

from harness import assert_no_traceback, build, need, pynix_env, run_pynix, selfcheck

TARGETS = ("x86_64-glibc", "x86_64-musl")
CALL = re.compile(r"^(?:\[pid +\d+\] |\d+ +)?(?:[\d:.]+ )?([a-z_0-9]+)\(")


@pytest.fixture(params=TARGETS)
def program(request):
    return build("strace_calls.c", request.param)


def strace(program, options: list[str], cwd) -> str:
    """Debian's strace -f on `program` with `options`; its output (written with -o)."""
    need(shutil.which("strace") is not None, "strace is not installed (Debian package strace)")
    out = cwd / "reference.strace"
    proc = subprocess.run(["strace", "-f", "-o", str(out)] + options + [str(program)], cwd=cwd,
                          env=pynix_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    need(proc.returncode == 0 and out.exists(), f"strace cannot trace here: {proc.stderr.decode(errors='replace')}")
    return out.read_text()


def pynix_strace(program, options: str, cwd, to_file: bool = True) -> str:
    """pynix --strace='options' on `program`: its trace (with -o into a file, else stderr)."""
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    out = cwd / "pynix.strace"
    spec = f"{options} -o {out}" if to_file else options
    result = run_pynix(program, extra=[f"--strace={spec}"], cwd=cwd)
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()
    assert result.stdout == b"read ok, missing file: -1 ENOENT\npipe: 14 bytes, child status 3\nsignal 10 handled\n", \
        result.describe()
    return out.read_text() if to_file else result.stderr.decode()


def summary(text: str) -> dict[str, tuple[int, int]]:
    """syscall -> (calls, errors) of a -c table, without the first execve."""
    rows = {}
    for line in text.splitlines()[2:]:
        fields = line.split()
        if line.startswith("---") or not fields or fields[-1] == "total":
            continue
        calls, errors = (int(fields[3]), int(fields[4])) if len(fields) == 6 else (int(fields[3]), 0)
        rows[fields[-1]] = (calls, errors)
    if "execve" in rows:
        calls, errors = rows.pop("execve")
        if calls > 1:
            rows["execve"] = (calls - 1, errors)
    return rows


def call_names(text: str) -> collections.Counter:
    names = collections.Counter(m.group(1) for line in text.splitlines() if (m := CALL.match(line)))
    names["execve"] -= 1                           # the first program's, which only strace sees
    return +names


def test_summary_counts_match_strace(program, tmp_path):
    reference = strace(program, ["-c"], tmp_path)
    ours = pynix_strace(program, "-c", tmp_path)
    assert summary(ours) == summary(reference), f"strace:\n{reference}\npynix:\n{ours}"
    assert ours.splitlines()[0] == reference.splitlines()[0] == \
        "% time     seconds  usecs/call     calls    errors syscall"
    total = re.fullmatch(r"100\.00 +\d+\.\d{6} +\d+ +(\d+) +(\d+) total", ours.splitlines()[-1])
    calls, errors = reference.splitlines()[-1].split()[3:5]
    assert total and total.groups() == (str(int(calls) - 1), errors) and \
        int(total.group(1)) == sum(calls for calls, _ in summary(ours).values()), ours


@pytest.mark.parametrize("cls", ["%file", "%desc", "%process", "%signal", "%memory", "%network"])
def test_trace_class_selects_strace_names(program, tmp_path, cls):
    reference = call_names(strace(program, ["-e", f"trace={cls}"], tmp_path))
    ours = call_names(pynix_strace(program, f"-e trace={cls}", tmp_path))
    assert ours == reference
    assert bool(ours) == (cls not in ("%network", "%memory")) or cls == "%memory"   # it makes no network calls


def test_trace_names_and_negation(program, tmp_path):
    assert call_names(pynix_strace(program, "-e trace=openat,close", tmp_path)) == \
        call_names(strace(program, ["-e", "trace=openat,close"], tmp_path)) == {"openat": 2, "close": 5}
    reference = call_names(strace(program, ["-e", "trace=!%memory,/^rt_"], tmp_path))
    ours = call_names(pynix_strace(program, "-e 'trace=!%memory,/^rt_'", tmp_path))
    assert ours == reference and "brk" not in ours and "rt_sigaction" not in ours and "read" in ours


def fd_tokens(text: str) -> collections.Counter:
    """Every decorated descriptor of a -y trace, pipe inode numbers replaced."""
    return collections.Counter(re.sub(r"pipe:\[\d+\]", "pipe:[N]", m.group(0))
                               for m in re.finditer(r"\b(?:\d+|AT_FDCWD)<[^>]*>", text))


def test_decode_fds_like_strace(program, tmp_path):
    reference = fd_tokens(strace(program, ["-y", "-e", "trace=%desc,%file"], tmp_path))
    ours = fd_tokens(pynix_strace(program, "-y -e trace=%desc,%file", tmp_path))
    assert ours == reference
    assert ours["3</etc/passwd>"] >= 3 and ours["4</etc/passwd>"] == 2 and ours["3<pipe:[N]>"] >= 2
    assert ours[f"AT_FDCWD<{tmp_path}>"] == 2


def test_times_and_timestamps(program, tmp_path):
    shape = re.compile(r"\d\d:\d\d:\d\d\.\d{6} .*\) += .* <\d+\.\d{6}>")
    for text in (strace(program, ["-tt", "-T", "-e", "trace=%desc"], tmp_path),
                 pynix_strace(program, "-tt -T -e trace=%desc", tmp_path)):
        lines = [re.sub(r"^\d+ +", "", line) for line in text.splitlines() if CALL.match(line)
                 and "unfinished" not in line and not line.endswith("= ?")]
        assert lines and all(shape.fullmatch(line) for line in lines), text
    relative = pynix_strace(program, "-r -e trace=close", tmp_path).splitlines()
    assert all(re.fullmatch(r"\d+ +\d+\.\d{6} (close\(\d+\) += 0|\+\+\+ exited with \d \+\+\+|--- SIG(USR1|CHLD) .* ---)",
                            line) for line in relative), relative


def test_pid_prefixes_and_exit_lines(program, tmp_path):
    """On stderr, strace -f prefixes `[pid N]` while several tasks live; with -o, every line starts with the pid."""
    text = pynix_strace(program, "-e trace=write,exit_group -e signal=none", tmp_path, to_file=False)
    lines = [line for line in text.splitlines() if not line.startswith("pynix:")]
    i = next(i for i, line in enumerate(lines) if "child says hi" in line)
    assert re.fullmatch(r"\[pid +(\d+)\] write\(4, \"child says hi\\n\", 14\) += 14", lines[i]), text
    child = lines[i].split("]")[0] + "]"
    assert lines[i + 1:i + 3] == [f"{child} exit_group(3)".ljust(39) + " = ?", f"{child} +++ exited with 3 +++"], text
    assert lines[-2:] == ["exit_group(0)".ljust(39) + " = ?", "+++ exited with 0 +++"], text
    to_file = pynix_strace(program, "-e trace=write,exit_group -e signal=none", tmp_path).splitlines()
    assert all(re.match(r"\d+ +\S", line) for line in to_file) and len(to_file) == len(lines), to_file


def test_signal_lines(program, tmp_path):
    usr1 = re.compile(r"(\d+ +)?--- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_USER, si_pid=\d+, si_uid=\d+\} ---")
    chld = re.compile(r"--- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=\d+, si_uid=\d+, si_status=3, "
                      r"si_utime=\d+, si_stime=\d+\} ---")      # (ignored by default: discarded when sent)
    for text in (strace(program, ["-e", "trace=kill,rt_sigreturn"], tmp_path),
                 pynix_strace(program, "-e trace=kill,rt_sigreturn", tmp_path)):
        lines = [re.sub(r" +=", " =", re.sub(r"^\d+ +", "", line)) for line in text.splitlines()]
        signal = [i for i, line in enumerate(lines) if usr1.fullmatch(line)]
        assert len(signal) == 1, text
        assert lines[signal[0] - 1].startswith("kill(") and lines[signal[0] + 1] == "rt_sigreturn({mask=[]}) = 0", \
            text
        assert sum(1 for line in lines if chld.fullmatch(line)) == 1, text
    assert "SIGUSR1 {" not in pynix_strace(program, "-e trace=kill -e signal=none", tmp_path)
    assert "SIGUSR1 {" in pynix_strace(program, "-e trace=kill -e signal=usr1", tmp_path)
    assert "SIGUSR1 {" not in pynix_strace(program, "-e trace=kill -e signal=!SIGUSR1", tmp_path)


def test_string_size(program, tmp_path):
    expected = re.compile(r'\d+ +write\(4, "chil"\.\.\., 14\) += 14')
    for text in (strace(program, ["-s", "4", "-e", "trace=write"], tmp_path),
                 pynix_strace(program, "-s 4 -e trace=write", tmp_path)):
        assert any(expected.fullmatch(line) for line in text.splitlines()), text


def test_summary_with_calls(program, tmp_path):
    """-C: the calls and the table."""
    text = pynix_strace(program, "-C -e trace=close", tmp_path)
    assert len(re.findall(r"close\(\d+\) += 0", text)) == 5 and "% time     seconds" in text, text


@pytest.mark.parametrize("options, message", [
    ("-e trace=nosuchcall", "invalid system call 'nosuchcall'"),
    ("-e trace=%nosuchclass", "invalid system call '%nosuchclass'"),
    ("-e signal=SIGNOPE", "invalid signal 'SIGNOPE'"),
    ("-s many", "invalid -s argument"),
    ("-q", "option -q not recognized"),
])
def test_invalid_options(options, message):
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    result = run_pynix("/bin/true", extra=[f"--strace={options}"])
    assert result.returncode == 2 and message in result.stderr.decode(), result.describe()
