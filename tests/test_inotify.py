"""Differential tests of inotify, dnotify and fanotify (issue #14): the events the VFS raises through fsnotify,
against native Linux (the x86_64-musl build of the same program runs natively for every target)."""
from __future__ import annotations

import shutil

from harness import assert_same, assert_same_as_native, host_isa, need


def test_inotify(target):
    out = assert_same_as_native("inotify.c", target)
    assert b"  wd 1 MOVED_FROM cookie len%16=0 'a'\n  wd 1 MOVED_TO cookie=prev len%16=0 'b'\n  wd 2 MOVE_SELF\n" in out
    assert b"unlink b:\n  wd 2 ATTRIB\n  wd 2 DELETE_SELF\n  wd 2 IGNORED\n  wd 1 DELETE len%16=0 'b'\n" in out
    assert b"oneshot attrib:\n  wd 3 ATTRIB\n  wd 3 IGNORED\n" in out
    assert b"events 16385 overflow 1 wd -1\n" in out
    assert b"ALL DONE\n" in out


def test_inotify_unmount_and_excl_unlink(target):
    """IN_UNMOUNT then IN_IGNORED for the watches on an unmounted tmpfs; IN_EXCL_UNLINK hides an unlinked open
    file's events; IN_DELETE_SELF of a removed file or directory comes at its last close."""
    out = assert_same_as_native("inotify_unmount.c", target)
    assert b"the same with IN_EXCL_UNLINK:\n  DELETE 'f'\n  ATTRIB 'f'\n" in out
    assert b"a directory in it:\n  UNMOUNT ISDIR\n  IGNORED\n" in out
    assert b"a file in it:\n  UNMOUNT\n  IGNORED\n" in out
    assert b"close the other:\n  CLOSE_WRITE\n  DELETE_SELF\n  IGNORED\n" in out
    assert b"close e:\n  CLOSE_NOWRITE ISDIR\n  DELETE_SELF\n  IGNORED\n" in out
    assert b"ALL DONE\n" in out


def test_dnotify(target):
    """fcntl(F_NOTIFY): SIGIO or the F_SETSIG signal with si_fd, one-shot and multishot, each DN_* alone."""
    out = assert_same_as_native("dnotify.c", target)
    assert b"on a file: ENOTDIR\n" in out
    assert b"two creates: SIGIO(code 0x80)\nafter the one shot: none\n" in out
    assert b"RENAME: rename within: RT1(code 3 band 0x441 fd dfd)\nRENAME: rename out: none\n" in out
    assert b"create with two registrations: RT1(code 3 band 0x441 fd dfd) RT2(code 3 band 0x441 fd dfd2)\n" in out
    assert b"after closing a dup of dfd: RT2(code 3 band 0x441 fd dfd2)\n" in out
    assert b"ALL DONE\n" in out


def test_fanotify(target):
    """fanotify's classic mode on a tmpfs of the test's own: inode, mount and filesystem marks, merged events with
    the object's descriptor, ignore masks, exec, a child's pid, poll/FIONREAD/blocking read, overflow."""
    out = assert_same_as_native("fanotify.c", target)
    assert b"write a:\n  MODIFY CLOSE_WRITE OPEN '/a' self\n" in out
    assert b"list the directory, open sub:\n  ACCESS CLOSE_NOWRITE OPEN '/' self\n" in out
    assert b"a child writes sub/from-child:\n  CLOSE_WRITE OPEN '/sub/from-child' child\n" in out
    assert b"exec the copy:\n  ACCESS OPEN OPEN_EXEC '/prog' child\n" in out
    assert b"read empty: EAGAIN\n" in out and b"init bad flag: EINVAL\n" in out
    assert b"events 16385 overflow 1 (fd -1, last 1)\n" in out
    assert b"record type 4 len 8, pidfd ok cloexec 1, signal 0 ok\n" in out
    assert b"event of a reaped child: 32 bytes, pidfd -1 (FAN_NOPIDFD -1)\n" in out
    assert b"ALL DONE\n" in out


def test_fanotify_fid(target):
    """fanotify's fid modes: the info records (FID, DFID, DFID_NAME, OLD/NEW_DFID_NAME of FAN_RENAME) of file
    and directory events, named by the paths whose name_to_handle_at handles they carry."""
    out = assert_same_as_native("fanotify_fid.c", target)
    assert b"  DFID_NAME|FID:\n    CREATE | DFID_NAME / 'x'\n    MODIFY CLOSE_WRITE | DFID_NAME / 'x' | FID x\n" in out
    assert b"    ATTRIB ONDIR | DFID_NAME d '.'\n" in out
    assert b"    MOVED_TO ONDIR | DFID_NAME sub 'd2'\n" in out
    assert b"  FID:\n    ATTRIB DELETE_SELF | FID x\n    DELETE | FID sub\n" in out
    assert b"  RENAME on sub:\n    RENAME | OLD_DFID_NAME sub 'z2'\n" in out
    assert b"  RENAME on the filesystem:\n    RENAME | OLD_DFID_NAME sub 'z2' | NEW_DFID_NAME / 'z3'\n" in out
    assert b"fsid differs" not in out and b" ?" not in out
    assert b"ALL DONE\n" in out


def test_fanotify_permission_events(target):
    """FAN_OPEN_PERM, FAN_ACCESS_PERM and FAN_OPEN_EXEC_PERM answered with FAN_ALLOW/FAN_DENY; closing the group
    allows what waits."""
    out = assert_same_as_native("fanotify_perm.c", target)
    assert b"child said: open ok, read EPERM, open again EPERM\n" in out
    assert b"child said: read ok: 'contents'\n" in out
    assert b"child said: open while the group closes: ok\n" in out
    assert b"child said: execl EPERM\n" in out
    assert b"ALL DONE\n" in out


INOTIFYWAIT = r'''
d=/dev/shm/pynix-iw-$$
mkdir -p $d
( sleep 2; echo hi > $d/f; chmod 600 $d/f; mv $d/f $d/g; mkdir $d/sub; rm $d/g; rmdir $d/sub ) &
inotifywait -m -t 6 --format '%e %f' $d 2>&1
wait
rmdir $d
'''

TAIL_F = r'''
f=/dev/shm/pynix-tail-$$
echo one > $f
( sleep 1; echo two >> $f; sleep 0.5; echo three >> $f ) &
timeout 3 tail -f $f
echo "tail: $?"
wait
rm $f
'''


FATRACE = r'''
d=/tmp/pynix-fatrace-$$
mkdir -p $d
mount -t tmpfs pynix-fatrace $d
cd $d
mkdir probe.d
fatrace -c -o $d.out &
t=$!
n=0
# Write probe.d/pN and wait until fatrace has reported it, so that it has reported everything before too (it
# writes each event at once): then no path it finds for a file handle has changed yet.
synced() {
    n=$((n + 1))
    for i in $(seq 300); do
        : > probe.d/p$n
        grep -q "probe.d/p$n" $d.out 2>/dev/null && return
        sleep 0.1
    done
}
synced
echo hi > a; synced
cat a > /dev/null; synced
mkdir sub; synced
mv a sub/b; synced
rm sub/b; synced
rmdir sub; synced
kill -INT $t
wait $t
echo "fatrace: $?"
cd /
umount $d
rmdir $d
# fatrace prints "comm(pid): flags path".  The command name is read from /proc when fatrace gets to the event,
# after a short-lived command may have exited ("unknown"), and how fatrace's reads fall between the events
# decides which of them fanotify merged (natively too): so the name goes, and the lines of one path between two
# probes are joined, their flags sorted.
sed -E "s|$d|DIR|" $d.out | awk '
    { path = $NF; flags = (NF == 3) ? $2 : "" }
    path ~ /probe/ { if (last != "") print_line(); last = ""; next }
    path == last { all = all flags; next }
    { if (last != "") print_line(); last = path; all = flags }
    END { if (last != "") print_line() }
    function print_line(   n, i, c, out, seen) {
        out = ""; n = split(all, c, "")
        for (i = 1; i <= n; i++) seen[c[i]] = 1
        n = split("+<>CDORW", c, ""); for (i = 1; i <= n; i++) if (c[i] in seen) out = out c[i]
        print out, last
    }'
rm $d.out
'''


def _host_tool(name: str, package: str) -> str:
    need(host_isa() == "x86_64", "the host's programs are x86_64")
    path = shutil.which(name)
    need(path is not None, f"{name} is not installed (Debian package {package})")
    return path


def test_inotifywait_watches_another_process():
    """inotify-tools' inotifywait -m reports what a second guest process does in a tmpfs directory."""
    _host_tool("inotifywait", "inotify-tools")
    got, _ = assert_same("/bin/bash", ["-c", INOTIFYWAIT])
    assert b"CREATE f\nOPEN f\nMODIFY f\nCLOSE_WRITE,CLOSE f\nATTRIB f\nMOVED_FROM f\nMOVED_TO g\n" in got.stdout


def test_tail_follows_a_growing_file():
    """coreutils' tail -f follows a file on tmpfs through inotify (on the overlay root it polls, as Linux's tail
    does on overlayfs)."""
    _host_tool("tail", "coreutils")
    got, _ = assert_same("/bin/bash", ["-c", TAIL_F])
    assert got.stdout == b"one\ntwo\nthree\ntail: 124\n"


def test_fatrace_reports_another_process():
    """Debian's fatrace (fanotify, FAN_REPORT_FID on the current filesystem, paths found with open_by_handle_at)
    reports what the shell's commands do on a tmpfs, as natively."""
    _host_tool("fatrace", "fatrace")
    got, _ = assert_same("/bin/bash", ["-c", FATRACE])
    assert got.stdout == b"fatrace: 0\n+ DIR\nCOW DIR/a\nCOR DIR/a\n+ DIR\n< DIR\n> DIR/sub\nD DIR/sub\nD DIR\n"
