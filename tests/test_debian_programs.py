"""Debian's everyday programs (coreutils, findutils, grep, sed, mawk, diffutils, patch, tar, gzip, xz, make, gcc,
procps, util-linux, ...) run by one bash script per group, natively and under pynix (`pynix run /bin/bash -c`),
in the same scratch directory; the output of each command (stdout and stderr merged, then its exit status) must
be the same.  pynix runs first: its writes stay in the guest's in-memory overlay of the host's /, so the native
run afterwards starts from the same empty directory and both print the same paths.

Only what must differ is masked (MASKS, each with its reason); other checks are written to print what is
the same on any Linux (a relation between pids, not the pids).  x86_64 hosts only: these are the host's
binaries.  The guest programs of the kernel fixes these commands showed are at the end."""
from __future__ import annotations

import difflib
import re
import subprocess
from pathlib import Path
from shutil import rmtree, which

import pytest

import harness
from harness import assert_same_as_native, guest_command, need, pynix_env

# t NAME 'COMMANDS': a section of the output: "=== NAME", what COMMANDS print (stderr too), "rc=STATUS".
PRELUDE = r"""t() { printf '=== %s\n' "$1"; shift; ( eval "$@" ) 2>&1; printf 'rc=%s\n' $?; }
export TZ=UTC LC_ALL=C
cd "$SCRATCH" || exit 99
"""

# The scripts of the groups.  Where the order of a directory's entries shows (find, ls -R of a tree made by
# cp), the output is sorted or comes from ls, which sorts: readdir's order is the filesystem's (ext4's hash
# order natively, the overlay's creation order under pynix) and no program may rely on it.
GROUPS = {
    "files": r'''
t setup 'mkdir -p d/sub d/sub2 && printf "alpha\nbeta\ngamma\n" > d/a.txt && printf "x%.0s" $(seq 1 5000) > d/sub/big && : > d/empty && chmod 600 d/sub/big && chmod 755 d/sub2 && ln -s a.txt d/link && ln -s ../a.txt d/sub/up && mkfifo d/fifo'
t touchd 'touch -h -d "2020-01-02 03:04:05" d/link d/sub/up; touch -d "2020-01-02 03:04:05" d/a.txt d/empty d/fifo; touch -d "2021-06-07 08:09:10" d/sub/big; touch -d "2019-05-05 05:05:05" d/sub d/sub2 d'
t ls_l 'ls -l --time-style=+%F_%T d'
t ls_la 'ls -la --time-style=+%s d | grep -v " \.\.$"'
t ls_R 'ls -R d'
t ls_opts 'ls -1sSi d | sed "s/^ *[0-9]* //" ; ls -lt --time-style=long-iso d; ls -F d; ls -ld d/sub; ls -lL --time-style=+%Y d/link; ls -n --time-style=+%Y d/a.txt'
t stat_c 'stat -c "%n|%s|%a|%A|%F|%U|%G|%u|%g|%h|%N|%Y|%y" d/a.txt d/link d/sub/big d/fifo d/empty'
t stat_L 'stat -L -c "%n %s %F %Y" d/link; stat -c "%b %B %o" d/sub/big; stat -f -c "%T" d >/dev/null'
t readlink 'readlink d/link; readlink -f d/sub/up; readlink -e d/nonexistent; echo $?; realpath --relative-to=d d/sub/up; readlink -f d/sub/../link'
t cp_a 'cp -a d e && ls -lR --time-style=+%F_%T e | grep -v "^total" && stat -c "%n %a %Y" e/sub/big e/link'
t cp_r 'cp -r d f && ls -R f && cmp d/sub/big f/sub/big && stat -c "%n %F" f/link'
t mv 'mv f/a.txt f/moved.txt && mv f/sub f/sub2/ && ls -R f && mv f/nonexistent f/x'
t ln 'ln -s /nonexistent dangling && ls -l --time-style=+ dangling | cut -c1-10,40- ; ln d/a.txt hard && stat -c "%h %n" hard d/a.txt; ln d/a.txt hard; ln -sf d/empty dangling && readlink dangling'
t du 'du -s d/sub; du -a --apparent-size -b d | sort -k2; du -sh d/sub/big'
t chmod 'chmod 4755 d/empty && stat -c %A d/empty && chmod u-s,g+w,o= d/empty && stat -c "%a %A" d/empty; chmod -R go-rwx d/sub && stat -c "%n %a" d/sub d/sub/big; chmod 777 d/nonexistent'
t chown 'chown 1234:5678 d/empty && stat -c "%u:%g" d/empty; chown -h nobody:nogroup d/link && stat -c "%U:%G" d/link && stat -L -c "%U:%G" d/link; chown :daemon d/a.txt; stat -c "%U:%G %a" d/a.txt; chgrp -R 42 d/sub2 && stat -c %g d/sub2'
t touch_r 'touch -r d/sub/big d/a.txt && stat -c "%Y" d/a.txt; touch -d @86400 d/empty && stat -c "%y" d/empty; touch -m -d "2000-02-29 12:00" n1 && date -u -r n1 +%F_%T; touch -c nosuch; ls nosuch'
t find 'find d -newer d/a.txt | sort; find d -perm -u=r -type f | sort; find d -type l | sort; find d -perm 600; find d -type p; find d -name "*.txt" -exec wc -c {} \; | sort; find d -type f -print0 | sort -z | xargs -0 ls -1 ; find d -maxdepth 1 -type d | sort; find d -empty | sort; find d -size +1k | sort; find d -mtime +365 -type f | sort; find d -depth | sort | head -3'
t find2 'find d -type f -exec stat -c "%n %s" {} + | sort; find d -name nomatch -o -name big -print | sort; find /nonexistent; find d -printf "%p %y %m %s\n" | sort'
t xargs 'printf "1\n2\n3\n4\n5\n" | xargs -n2 echo; printf "a b\0c\0" | xargs -0 -I{} echo "[{}]"; echo x | xargs false; echo "rc $?"'
t mktemp 'm=$(mktemp -p . tmp.XXXXXX) && test -f "$m" && stat -c %a "$m" && m2=$(mktemp -d -p . dd.XXXX) && stat -c "%a %F" "$m2" && echo ${#m}; rm -r "$m" "$m2"'
t dd 'dd if=d/sub/big of=dd.out bs=1000 count=3 status=none && wc -c dd.out; printf abcdef | dd conv=ucase status=none; echo; dd if=/dev/zero bs=512 count=4 2>/dev/null | wc -c; dd if=/dev/zero of=/dev/null bs=1k count=3 2>&1 | head -2; printf "hello world" | dd bs=1 skip=6 count=5 status=none; echo; dd if=/dev/zero of=sparse bs=1 count=0 seek=1M status=none && stat -c "%s" sparse; printf abc | dd of=trunc conv=notrunc status=noxfer 2>&1 | tail -1'
t split 'seq 1 1000 > nums && split -l 300 nums part. && ls part.* && cat part.* | cmp - nums && split -b 1000 -d nums b && ls b0* && wc -c b00 && cat b0* | md5sum && md5sum nums'
t sums 'sha256sum d/a.txt d/sub/big > sums && cat sums && sha256sum -c sums && md5sum d/a.txt && sha1sum d/empty && b2sum -l 128 d/a.txt && cksum d/a.txt && echo corrupt >> d/a.txt && sha256sum -c sums'
t df 'df -P -T . /proc /dev/shm | awk "{print \$1, \$2, \$NF}"; df --output=target,fstype /proc; stat -f -c "%S %b %c %l" .; stat -f -c "%T" /proc /dev/shm'
t sync 'sync d/a.txt; sync; truncate -s 10 d/empty && stat -c %s d/empty; shred -n1 -z d/empty; od -c d/empty | head -2'
t sparse 'dd if=/dev/zero of=sp bs=1 count=1 seek=10M status=none; cp --sparse=always sp sp2; stat -c "%s %b" sp sp2; tar cSf sp.tar sp; tar tvf sp.tar | awk "{print \$3}"; du -k sp sp2'
t reflink 'seq 1 1000 > src && cp --reflink=auto src r1 && cmp src r1 && echo copied; cp --reflink=always src r2; echo rc $?; stat -c %s /proc/self/fd'
t misc_fs 'mkdir -p x/y/z && rmdir -p x/y/z && ls x; rm -r d/sub2 && ls d; rm d/nonexistent; rmdir d; unlink d/empty; ls d; install -m 640 -D d/a.txt inst/dir/file && stat -c "%a %s" inst/dir/file; basename d/x/y.txt .txt; dirname d/x/y.txt; pathchk -p "a/b"; touch "sp ace" && ls -b; ls --quoting-style=shell-escape'
''',
    "text": r'''
printf "pear 3\napple 10\nfig 2\napple 10\nbanana 7\nfig 2\n" > fruit
t sort 'sort fruit; sort -k2n fruit; sort -u -r fruit; sort -t" " -k2,2nr -k1 fruit; printf "b\na\n" | sort -c; sort -R fruit | sort | md5sum'
t uniq 'sort fruit | uniq -c; sort fruit | uniq -d; sort fruit | uniq -u'
t cut 'cut -d" " -f2 fruit; cut -c1-3 fruit; echo a:b:c:d | cut -d: -f2-; echo abc | cut -f9 -d,'
t tr 'echo Hello World | tr a-z A-Z; echo hello | tr -d l; echo aaabbb | tr -s ab; echo "a1b2" | tr -cd 0-9; echo; echo abc | tr "[:lower:]" "[:upper:]"'
t wc 'wc fruit; wc -l < fruit; wc -c -w fruit /dev/null; printf "no newline" | wc -l; wc nonexistent'
t headtail 'seq 100 | head -3; seq 100 | tail -2; seq 100 | head -n -97; seq 10 | tail -n +9; head -c 5 fruit; echo; tail -c 4 fruit; head -n1 fruit fruit'
t seq 'seq 3; seq 2 3 11; seq -w 8 11; seq -s, -f %.2f 1 0.5 3; seq 5 1; seq 1e3 1e3; seq 0x10 0x11'
t sed 'sed -n 2p fruit; sed "s/apple/APPLE/g;/fig/d" fruit; cp fruit f2 && sed -i "s/[0-9]\+/N/" f2 && cat f2; sed -i.bak -e 1d f2 && ls f2*; sed -E "s/(.)(.)/\2\1/" fruit | head -2; sed = fruit | head -4; sed -n "/^a/{p;q}" fruit; sed "y/abc/xyz/" fruit | head -1; sed --version >/dev/null'
t awk 'mawk "{s+=\$2} END {print s, NR}" fruit; awk -F" " "\$2>5 {print \$1}" fruit; awk "BEGIN {printf \"%5.2f|%s|%d\n\", 3.14159, substr(\"hello\",2,3), length(\"abc\"); print toupper(\"x\") 2^10; srand(1); split(\"a:b:c\", p, \":\"); print p[3]}"; awk "{c[\$1]++} END {for (k in c) print k, c[k]}" fruit | sort; echo "1 2" | awk "{print \$1/\$2, int(7/2), 7%3}"; awk "BEGIN { exit 3 }"; echo $?; awk "BEGIN{getline l < \"fruit\"; print l; \"echo piped\" | getline x; print x; system(\"echo sys\")}"'
t grep 'grep apple fruit; grep -c fig fruit; grep -v -n a fruit; grep -E "^(fig|pear)" fruit; grep -i APPLE fruit; grep -w fig fruit; grep -o "[0-9]*" fruit; grep nomatch fruit; echo $?; grep x nonexistent; echo $?; grep -q pear fruit && echo q'
mkdir -p tree/a/b tree/c && echo needle > tree/a/b/one && echo hay > tree/c/two && echo needle needle > tree/three
t grep_r 'grep -r needle tree | sort; grep -rl needle tree | sort; grep -rc needle tree | sort; grep -rL needle tree; grep -rn --include=one needle tree; grep -rh needle tree | sort -u'
printf "line1\nline2\nline3\nline4\nline5\n" > old.txt
printf "line1\nline2 changed\nline3\nline5\nline6\n" > new.txt
t diff 'diff old.txt new.txt; echo rc $?; diff -u old.txt new.txt | tail -n +3; diff -q old.txt old.txt; echo same $?; diff -r tree tree; mkdir tree2 && cp -r tree/a tree2/ && diff -r tree tree2; diff old.txt nonexistent'
t patch 'diff -u old.txt new.txt > p.diff; cp old.txt work.txt && patch work.txt < p.diff && cmp work.txt new.txt && echo patched; patch -R work.txt < p.diff && cmp work.txt old.txt && echo reversed; patch --dry-run new.txt < p.diff; echo rc $?; ls new.txt*'
t cmp 'cmp old.txt new.txt; echo $?; comm -12 <(sort old.txt) <(sort new.txt) 2>/dev/null || comm -12 old.txt new.txt; paste old.txt new.txt | head -2; join <(echo "1 a") <(echo "1 b") 2>/dev/null; echo x'
t textmisc 'printf "c\nb\na\n" | tac; echo hello | rev; printf "a b c\nlong word x\n" | column -t; printf "1\t2\n" | expand -t4 | od -c | head -1; echo abcdefghij | fold -w3; printf "x\ny\n" | nl; echo "  a" | fmt; printf "%s\n" b a | sort | tsort 2>&1 | head -1; numfmt --to=iec 1048576; factor 360; expr 7 \* 6; echo "3 4" | tr " " "*" | bc 2>/dev/null; printf "%x %o %5.1f %-3s|\n" 255 8 2.25 ab; base64 fruit | head -1; echo cGVhcgo= | base64 -d; od -An -tx1 -N4 fruit; xxd -l 4 fruit 2>/dev/null; hexdump -C -n 8 fruit 2>/dev/null | head -1; strings -n 3 /bin/true | head -2 > /dev/null; echo ok'
t date 'date -d @0 -u; date -d @1700000000 -u +%F_%T_%a_%j_%s; date -u -d "2024-02-29 13:14:15" +%A_%U_%V; date -d "2020-01-01 + 1 month" +%F; TZ=Europe/Paris date -d @1700000000; date -d garbage; echo rc $?'
t cal 'cal 2 2024; cal -3 7 2023 | head -3; ncal -b 1 2000 2>&1 | head -2'
t getopt 'getopt -o ab:c:: -l long,arg: -- -a -b x --long --arg=y -cz rest more; getopt -o a -- -q; echo rc $?; getopt -T; echo $?'
t envs 'env -i FOO=bar /usr/bin/env; env -u HOME printenv HOME; echo $?; printenv TZ; env A=1 B=2 sh -c "echo \$A\$B"; env -i PATH=/bin sh -c "echo \$PATH"; printenv nonexistent; echo $?'
t id 'id; id -u; id -g; id -un; id -G; id nobody; id nonexistentuser; whoami; groups; logname 2>/dev/null; echo $?'
t true 'true; false; echo $?; yes | head -3; test 3 -gt 2 && echo gt; [ -d / ] && echo dir; sleep 0.1; echo slept; printf "%s\n" "$(printf "a\nb" | wc -l)"'
''',
    "archive": r'''
mkdir -p src/dir && printf "one\n" > src/f1 && seq 1 20000 > src/dir/f2 && ln -s f1 src/lnk && chmod 640 src/f1 && chmod 2750 src/dir && chown 1000:1000 src/f1 && chown 0:100 src/dir/f2
touch -h -d "2022-03-04 05:06:07" src/f1 src/dir/f2 src/lnk src/dir src
t tar_c 'tar cf a.tar src && tar tvf a.tar --full-time | sort -k6; tar tf a.tar | sort'
t tar_owner 'tar cf b.tar --owner=7 --group=8 --mode=go-w --mtime=@100000 --sort=name src && tar tvf b.tar --numeric-owner --full-time; tar --numeric-owner -tvf a.tar --full-time src/f1'
t tar_x 'mkdir out && tar xpf a.tar -C out && stat -c "%n %a %u:%g %Y %F" out/src out/src/f1 out/src/dir out/src/dir/f2 out/src/lnk && cmp src/dir/f2 out/src/dir/f2 && tar xf a.tar -C out --no-same-owner --no-same-permissions --touch src/f1 && stat -c "%a %u %g" out/src/f1'
t tar_z 'tar czf a.tgz --sort=name src && tar tzf a.tgz && tar xzf a.tgz -O src/f1 && tar cJf a.txz src && tar tJf a.txz | sort && tar xJf a.txz -O src/dir/f2 | tail -1 && tar cf - src | tar tf - | wc -l; tar xf nonexistent.tar; tar tf a.tgz nope'
t gzip 'cp src/dir/f2 g && gzip -9 g && ls g* && gzip -l g.gz | tail -1 | awk "{print \$2}"; gunzip g.gz && wc -l g; gzip -c g | zcat | tail -1; gzip -t g 2>&1; echo junk > bad.gz; gunzip bad.gz; echo rc $?; gzip -n -c src/f1 | md5sum; zcat -f src/f1; echo x | gzip | gzip -d'
t xz 'cp src/dir/f2 x && xz -6 x && ls x* && xz -l x.xz | tail -1 | awk "{print \$NF}"; xz -t x.xz && unxz x.xz && wc -l x; xz -c -T1 src/f1 | xzcat; echo bad | xz -d; echo rc $?; echo y | xz -F lzma | unlzma; xz -c src/f1 | md5sum'
t cpio 'find src | sort | cpio -o -H newc 2>/dev/null | cpio -t 2>&1 | sort | grep -v block' 
''',
    "build": r'''
cat > main.c <<'C'
#include <stdio.h>
#include <string.h>
int square(int);
int main(int argc, char **argv) { printf("%s: %d %zu\n", argc > 1 ? argv[1] : "none", square(7), strlen("pynix")); return argc - 1; }
C
echo 'int square(int x) { return x * x; }' > sq.c
printf 'CFLAGS = -O1 -Wall\nprog: main.o sq.o\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) $(CFLAGS) -c -o $@ $<\nrun: prog\n\t./prog hi; echo status $$?\nclean:\n\trm -f *.o prog\n.PHONY: run clean\n' > Makefile
t make 'make && make run && make && echo again'
t make_j2 'make clean && make -j2 -s run && make -q prog; echo q $?; make nothing-here'
t make_vars 'make -s -f - <<M
X := \$(shell echo computed)
Y = \$(patsubst %.c,%.o,\$(wildcard *.c))
all: ; @echo \$(X) \$(sort \$(Y)) \$(words a b c)
M'
t gcc 'gcc -o hello -x c - <<C && ./hello; echo rc $?
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
int main(void) { pid_t p = fork(); if (p == 0) { execlp("echo", "echo", "from child", (char *)0); _exit(9); } int st; waitpid(p, &st, 0); printf("child %d\n", WEXITSTATUS(st)); return 5; }
C'
t gcc_err 'echo "int main(void) { return undeclared; }" > bad.c && gcc -c bad.c 2>&1 | grep -c error; gcc -E -dM -x c /dev/null | grep -c __x86_64__; cc --version | head -1 >/dev/null; ar rcs libsq.a sq.o && ar t libsq.a && nm sq.o | cut -c18- ; gcc -o st main.c libsq.a -static && ./st static; echo rc $?; file -b st | cut -d, -f1'
''',
    "procs": r'''
t kill_l 'kill -l; kill -l 9; kill -l 15 2; /bin/kill -l | head -2; /bin/kill -L | head -1; kill -s 0 $$; echo self; /bin/kill -0 999999; echo rc $?'
t ps 'sleep 5 & s=$!; ps -o pid=,ppid=,stat=,comm= -p $s | awk -v s=$s -v me=$$ "{print (\$1==s), (\$2==me), \$3, \$4}"; ps -o comm= -p $$; ps -p $s -o args=; kill $s; wait $s; echo waited $?'
t ps_e 'sleep 5 & (sleep 6 & wait) & sleep 0.3; ps -e -o pid=,ppid=,stat=,comm= | awk -v me=$$ "{ppid[\$1] = \$2; stat[\$1] = \$3; comm[\$1] = \$4} END {for (p in ppid) {d = 0; for (q = p; q in ppid && q != me; q = ppid[q]) d++; if (q == me) print d, stat[p], comm[p]}}" | sort; kill %1 %2; wait'
t ps_tree 'sleep 5 & s=$!; ps -o ppid= -o comm= --ppid $$ | awk -v me=$$ "{print (\$1==me), \$2}" | sort; kill $s'
t pgrep 'sleep 7 & s=$!; pgrep -x sleep | grep -c "^$s\$"; pgrep -f "sleep 7" >/dev/null && echo found; pkill -TERM -x sleep; wait $s; echo killed $?; pgrep -x nosuchprog; echo rc $?'
t nice 'nice; nice -n 5 nice; nice -n 3 sh -c "nice -n 2 nice"; renice -n 4 -p $$ >/dev/null && nice; nice -n -5 nice'
t nohup 'nohup echo hi; cat nohup.out 2>/dev/null; nohup sh -c "echo out; echo err >&2" > nh.log 2>&1; cat nh.log'
t timeout 'timeout 0.5 sleep 5; echo rc $?; timeout -s KILL 0.3 sleep 5; echo rc $?; timeout 5 true; echo rc $?; timeout 5 sh -c "exit 7"; echo rc $?; timeout --preserve-status 0.3 sleep 3; echo rc $?; timeout -k 0.2 0.2 sh -c "trap \"\" TERM; sleep 3"; echo rc $?'
t free 'free | head -1; free -b | awk "NR==2{print (\$2>0)} NR==3{print \$1}"; free -h >/dev/null; echo ok'
t pmap 'sleep 3 & s=$!; sleep 0.2; pmap -q $s | awk "{print \$NF}" | grep -v "^\[" | sort -u; pwdx $s | sed "s/^[0-9]*/PID/"; [ "$(pidof -s sleep)" = "$s" ] && echo pidof-ok; kill $s'
t ps_fields 'ps aux | head -1; ps -o user,nlwp,pri,ni,tty,cls,rtprio,policy -p $$; ps -o uname,ruser,euid,suid,fgid,supgid -p $$; sleep 2 & ps -o vsz= -o rss= -p $! | awk "{print (\$1 > 0), (\$2 > 0)}"; kill $!'
t sysctl 'sysctl kernel.ostype vm.overcommit_memory fs.nr_open kernel.pid_max; sysctl -n kernel.nosuchkey; getconf -a | grep -E "^(PAGESIZE|CLK_TCK|NGROUPS_MAX|LINE_MAX|LONG_BIT|PATH_MAX) "'
t choom 'choom -p $$ | sed "s/[0-9]*.s/P/; s/score: 66[6-9]$/score: 666 and a little/"; choom -n 300 -- sh -c "cat /proc/self/oom_score_adj"; echo 500 > /proc/self/oom_score_adj; cat /proc/self/oom_score_adj; echo 1001 > /proc/self/oom_score_adj; echo -1000 > /proc/self/oom_score_adj; sh -c "cat /proc/self/oom_score_adj"'
t vmstat 'vmstat | head -2; vmstat 1 2 | awk "NR > 2 {print NF}"; vmstat -s | grep -c "K total memory"'
t uptime 'uptime | grep -c "load average"; uptime -s | grep -c -- -; cat /proc/loadavg | awk "{print NF}"'
t procfs 'cat /proc/self/stat | awk "{print \$3}"; head -1 /proc/self/status; grep -c ^processor /proc/cpuinfo >/dev/null; awk "/^Name|^State|^Uid|^Gid|^Threads|^PPid/ {print \$1}" /proc/self/status; cat /proc/self/comm; readlink /proc/self/exe; tr "\0" " " < /proc/self/cmdline; echo; ls /proc/self/fd | head -3; cat /proc/sys/kernel/pid_max >/dev/null && echo pidmax'
t sleepwait 'sleep 0.2 & sleep 0.1 & wait; echo both; (exit 3) & wait $!; echo $?; sh -c "kill -9 \$\$"; echo $?'
''',
    "utillinux": r'''
t flock 'flock lk -c "echo locked"; flock lk sh -c "flock -n lk -c true; echo inner \$?"; flock -s lk -c "flock -s -n lk -c \"echo shared ok\""; exec 9>lk2; flock 9 && echo fd-lock; flock -n -x lk2 true; echo rc $?; flock -u 9; flock -w 0.2 lk true && echo w'
t setsid 'setsid sh -c "ps -o sid= -o pgid= -o pid= -p \$\$ | awk \"{print (\\\$1==\\\$3), (\\\$2==\\\$3)}\""; setsid -w sh -c "exit 4"; echo rc $?'
t prlimit 'prlimit --nofile=512:1024 sh -c "ulimit -n; ulimit -Hn"; prlimit -p $$ --nofile --raw --noheadings | awk "{print \$1}"; prlimit --core=0 prlimit --core --output=RESOURCE,SOFT,HARD; ulimit -s; ulimit -c; ulimit -v'
t taskset 'm=$(taskset -p $$ | sed "s/.*: //"); [ $((0x$m)) -eq $(( (1 << $(nproc)) - 1 )) ] && echo mask of every online cpu; taskset -c 0 sh -c "taskset -cp \$\$" | sed "s/pid [0-9]*/pid N/"; taskset 1 true; echo rc $?'
t chrt 'chrt -p $$ | sed "s/[0-9]*.s/PID/"; chrt -m | head -2; chrt -b 0 sh -c "chrt -p \$\$" | sed "s/[0-9]*.s/PID/"; chrt -f 10 sh -c "chrt -p \$\$" | sed "s/[0-9]*.s/PID/"; chrt -i 0 true; echo $?'
t ionice 'ionice -p $$; ionice -c3 sh -c "ionice -p \$\$"; ionice -c2 -n5 ionice; ionice -c1 -n0 true; echo rc $?'
t script 'script -qc "echo in a pty; tty | cut -c1-9" /dev/null | tr -d "\r"; script -qec "exit 3" /dev/null; echo rc $?'
t findmnt 'findmnt -n -o FSTYPE / | grep -c . ; findmnt -n -o TARGET /proc; findmnt -n -o FSTYPE /proc; findmnt /nonexistent; echo rc $?'
t lsblk 'lsblk -d -n -o NAME,TYPE | awk "\$2 != \"disk\" {print \"not a disk:\", \$0}"; echo rc $?'
t nsenter 'nsenter -t $$ -m true; echo rc $?; unshare -U -r id -u; unshare -u sh -c "hostname pynix-test && hostname"'
t lslocks 'exec 8>lkf; flock 8; lslocks -n -o COMMAND,TYPE,MODE,PATH | grep lkf | sed "s|$SCRATCH|SCRATCH|"; flock -u 8'
t lsipc 'id=$(ipcmk -M 4096 | sed "s/.*: //"); ipcs -m | awk -v id=$id "\$2 == id {print \$4, \$5, \$6}"; lsipc -m -n -o PERMS,SIZE -i $id; ipcrm -m $id; ipcrm -m $id 2>&1 | sed "s/([0-9]*)/(ID)/"'
t fallocate 'fallocate -l 1M fa && stat -c "%s %b" fa && fallocate -p -o 4096 -l 8192 fa && stat -c "%s %b" fa; truncate -s 5000 tr && stat -c "%s %b" tr; truncate -s -1000 tr && stat -c %s tr'
t mountpoint 'mountpoint /proc; mountpoint /dev; mountpoint -q "$SCRATCH"; echo rc $?; mountpoint -d /proc | grep -c :'
t blkid 'dd if=/dev/zero of=img bs=1M count=4 status=none && mkfs.ext2 -q -F -U 01234567-89ab-cdef-0123-456789abcdef -L lab img && blkid -p -o value -s TYPE -s LABEL -s UUID img; wipefs -n img | awk "{print \$NF}"; e2fsck -fn img >/dev/null; echo fsck $?'
t iconv 'echo héllo | iconv -f utf-8 -t latin1 | od -An -tx1; printf "\xff" | iconv -f utf-8 -t ascii; echo rc $?; locale | head -2'
t setarch 'setarch linux32 uname -m; setarch x86_64 -R sh -c "cat /proc/self/personality"; setarch --uname-2.6 uname -r | cut -c1-4'
t getopt_rev_col 'echo hello | rev; printf "a:b\nccc:d\n" | column -t -s:; printf "1 2 3 4 5 6\n" | tr " " "\n" | column -c 20; echo x | column -J -N a 2>/dev/null | tr -d " \n"; echo; echo "b a" | rev'
t misc 'mcookie | wc -c; uuidgen -r | wc -c; namei -l / | tail -1 | awk "{print \$1, \$NF}"; whereis -b sh | cut -d: -f1; look abc /dev/null; echo rc $?; hexdump -v -e "4/1 \"%02x\" \"\n\"" -n 4 /dev/zero; cal 1 1970 | head -2; ipcs -m | head -2 | tail -1 | wc -w; rename.ul 2>/dev/null; true'
t nproc 'nproc >/dev/null; getconf PAGESIZE; getconf ARG_MAX >/dev/null; getconf LONG_BIT; uname -sm; arch; hostid >/dev/null; tty; echo rc $?; stty -a </dev/null; echo rc $?; logname; echo rc $?; users; who | wc -l'
''',
}

# (section, pattern, replacement) applied to both outputs before they are compared, and why.
MASKS = [
    # df: pynix's root is an overlay over the host's / (so df names "overlay overlay" where Linux names the
    # host's device and ext4); the sizes are not printed since the host's free space changes between the two
    # runs.  /dev/shm is the guest's own tmpfs and its size the guest machine's memory, not the host's.
    ("df", rb"(?m)^\S+ \S+ /$", rb"ROOT-DEVICE ROOT-FSTYPE /"),
    ("df", rb"(?m)^overlayfs$|^ext2/ext3$", rb"ROOT-FSTYPE"),
    # bash's job report names the killed process's pid: the guest's pids are its own.  (Likewise lsipc's
    # section prints no shm id: the guest has an IPC namespace of its own, where the first id is 0.)
    ("*", rb"(line \d+:) +\d+ (Killed|Terminated)", rb"\1 PID \2"),
]


# What the scripts print as a relation or leave out, because the guest is a machine of its own (what Linux would
# show for the same machine is what pynix shows):
# - pids, ps's tree (ps_e prints depth, state and name below the script's shell; pynix's init starts the program
#   in a session of its own, hence setsid natively), pid column widths (the host's pid_max is systemd's 4194304)
# - taskset's mask is compared with nproc (the guest has its CPUs), free/uptime/vmstat print their layout only
#   (the guest's memory and boot time), lsblk checks only that what it lists are disks (the guest has none)
# - findmnt /sys: pynix's /sys is the host's tree seen through the root overlay, with sysfs mounted on parts
# - getconf OPEN_MAX/CHILD_MAX (the guest starts with init's rlimits), lscpu (the guest's CPU), lsns (pynix has
#   no cgroup or time namespaces), ps -o psr (natively whichever CPU ran last), /dev/tty's group (the guest's
#   devtmpfs follows Debian's udev, the host container's does not)


def _masked(section: str, lines: list[bytes]) -> bytes:
    text = b"\n".join(lines)
    for where, pattern, replacement in MASKS:
        if where in ("*", section):
            text = re.sub(pattern, replacement, text)
    return text


def _sections(output: bytes) -> dict[str, bytes]:
    found: dict[str, list[bytes]] = {}
    current = None
    for line in output.split(b"\n"):
        if line.startswith(b"=== "):
            current = line[4:].decode()
            found[current] = []
        elif current is not None:
            found[current].append(line)
    return {name: _masked(name, lines) for name, lines in found.items()}


def _run(argv: list[str], scratch: Path) -> subprocess.CompletedProcess:
    """Run `argv` in an empty `scratch` (made afresh: in self-check mode the first run's writes are real)."""
    rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    env = pynix_env({"SCRATCH": str(scratch), "HOME": "/root", "TERM": "dumb"})
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=scratch,
                              timeout=harness.PYNIX_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"timed out: {argv[:4]}\n{(e.stdout or b'')[-3000:].decode(errors='replace')}")


@pytest.fixture(scope="module")
def host_programs():
    need(harness.host_isa() == "x86_64", "these are the host's x86_64 programs")
    # what the scripts run beyond bash and coreutils (the packages that are not Essential: tools/test-packages)
    missing = [p for p in ("gcc", "make", "patch", "xz", "cpio", "file", "ps", "pgrep", "free") if not which(p)]
    missing += [p for p in ("script", "column", "cal", "flock", "prlimit", "chrt", "findmnt") if not which(p)]
    need(not missing, f"not installed (./tools/test installs them): {missing}")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_debian_programs(group, tmp_path, host_programs):
    script = PRELUDE + GROUPS[group]
    scratch = tmp_path / "scratch"
    guest = _run(["setsid"] * harness.selfcheck() + guest_command("/bin/bash", ["-c", script]), scratch)
    # pynix's init starts the program in a session of its own (ps shows bash as "Ss"): so does setsid natively.
    native = _run(["setsid", "/bin/bash", "-c", script], scratch)
    assert b"Traceback" not in guest.stderr, guest.stderr.decode(errors="replace")
    got, want = _sections(guest.stdout), _sections(native.stdout)
    names = [name.decode() for name in re.findall(rb"(?m)^t (\w+) ", GROUPS[group].encode())]
    assert list(want) == names, "the native run did not run every section:\n" + native.stdout[-3000:].decode()
    differ = []
    for name in want:
        if got.get(name) != want[name]:
            diff = difflib.unified_diff(want[name].decode(errors="replace").splitlines(),
                                        (got.get(name) or b"(missing)").decode(errors="replace").splitlines(),
                                        "native", "pynix", lineterm="", n=1)
            differ.append(f"--- section {name}\n" + "\n".join(diff))
    assert differ == [], f"{len(differ)} of {len(want)} sections differ:\n" + "\n".join(differ)
    assert (guest.returncode, guest.stderr) == (native.returncode, native.stderr), \
        f"pynix: {guest.returncode} {guest.stderr[-2000:]!r}\nnative: {native.returncode} {native.stderr[-2000:]!r}"


# --- the kernel fixes these commands showed, as guest programs ------------------------------------------------
def test_prlimit_other_process(target):
    """prlimit -p PID: prlimit64 reads and sets another process's limits (ESRCH only for no such task, EPERM
    for another user's without CAP_SYS_RESOURCE); pynix used to answer ESRCH for every pid but the caller's."""
    out = assert_same_as_native("prlimit_pid.c", target)
    assert b"child sees nofile 300:400\n" in out and b"root's child: -1 EPERM\n" in out


def test_symlink_blocks(target):
    """ls -s and du count a short symlink as 0 blocks (tmpfs and ext4 keep its target in the inode)."""
    out = assert_same_as_native("symlink_blocks.c", target)
    assert out == b"short: size 10 blocks 0\nlong: size 200 blocks 8\n"


def test_fallocate_blocks(target):
    """fallocate -l 1M on tmpfs: the pages are allocated at once (st_blocks 2048), as shmem_fallocate."""
    out = assert_same_as_native("fallocate_blocks.c", target)
    assert b"fallocate 1 MiB: 0, size 1048576 blocks 2048\n" in out and b"ftruncate 0: 0, size 0 blocks 0\n" in out


def test_tmpfs_default_size(target):
    """df /dev/shm: a tmpfs mounted without size= is half of the machine's memory (it said 4 GiB on any
    machine), and statfs agrees with the limit that ENOSPC enforces."""
    out = assert_same_as_native("tmpfs_size.c", target)
    assert out.startswith(b"(default): bsize 4096, half of RAM 1, bytes 0\n")


def test_personality_uname(target):
    """setarch linux32: uname reports the 32-bit machine name under PER_LINUX32 (it kept x86_64), and
    /proc/PID/personality exists (it was missing)."""
    need(not (harness.selfcheck() and harness.target_isa(target) == "riscv64"),
         "qemu-riscv64 keeps uname's machine under PER_LINUX32: it is no reference to check this test with")
    out = assert_same_as_native("personality_uname.c", target)
    assert b"PER_LINUX32 changes the machine: 1, to a shorter name: 1\n" in out and b"00040008\n" in out


def test_oom_score_adj(target):
    """choom: /proc/PID/oom_score_adj and oom_score (they were missing): kstrtoint's syntax, the range, the
    minimum only CAP_SYS_RESOURCE may go below, inheritance over fork."""
    out = assert_same_as_native("oom_score_adj.c", target)
    assert b"write [ 0x10 ]: 0, now 16\n" in out and b"child inherits 300\n" in out


def test_clone_ioctl_and_fd_dir_size(target):
    """cp --reflink=always: FICLONE is EOPNOTSUPP where extents cannot be shared (pynix said ENOTTY), after
    ioctl_file_clone's checks; stat of /proc/self/fd gives the number of open descriptors (it gave 0)."""
    out = assert_same_as_native("clone_ioctl.c", target)
    assert b"FICLONE same filesystem: EOPNOTSUPP\n" in out and b"/proc/self/fd size: 10\n" in out


def test_seek_hole_tmpfs(target):
    """cp --sparse and tar -S find a tmpfs file's holes: SEEK_DATA/SEEK_HOLE follow the pages in its cache
    (pynix called the whole file data)."""
    out = assert_same_as_native("seek_hole_tmpfs.c", target)
    assert b"SEEK_DATA from 0: 10485760\nSEEK_HOLE from 0: 0\n" in out
