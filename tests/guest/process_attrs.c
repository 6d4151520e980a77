/* personality, ioprio_get/ioprio_set, get_robust_list: values, inheritance across fork and exec, errors.
   Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")
#define IOPRIO(class, level) (((class) << 13) | (level))

static long ioget(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long ioset(int which, int who, int prio) { return syscall(SYS_ioprio_set, which, who, prio); }

static void show_io(const char *what)
{
    long p = ioget(1, 0);
    if (p < 0)
        say("%s: ioprio_get %s\n", what, errname(errno));
    else
        say("%s: class %ld level %ld\n", what, p >> 13, p & 7);
}

int main(int argc, char **argv)
{
    if (argc > 1) {                                    /* re-executed: what survived exec */
        say("after exec: personality %#x\n", personality(0xffffffff));
        return 0;
    }
    say("personality: %#x\n", personality(0xffffffff));
    say("set ADDR_NO_RANDOMIZE: old %#x\n", personality(ADDR_NO_RANDOMIZE));
    say("now %#x\n", personality(0xffffffff));
    pid_t pid = fork();
    if (pid == 0) {
        say("child: personality %#x\n", personality(0xffffffff));
        execl("/proc/self/exe", argv[0], "again", (char *)NULL);
        say("exec: %s\n", errname(errno));
        _exit(1);
    }
    waitpid(pid, NULL, 0);
    struct utsname u1, u2;
    uname(&u1);
    personality(ADDR_NO_RANDOMIZE | UNAME26);
    uname(&u2);
    say("UNAME26: release starts with 2.6.: %d, unchanged before: %d\n", strncmp(u2.release, "2.6.", 4) == 0,
        strncmp(u1.release, "2.6.", 4) != 0);
    personality(PER_LINUX);

    show_io("start");
    say("set BE 3: %s\n", RES(ioset(1, 0, IOPRIO(2, 3))));
    show_io("after BE 3");
    say("set IDLE: %s\n", RES(ioset(1, 0, IOPRIO(3, 0))));
    show_io("after IDLE");
    say("set RT 1: %s\n", RES(ioset(1, 0, IOPRIO(1, 1))));
    show_io("after RT 1");
    say("set NONE level 2: %s\n", RES(ioset(1, 0, IOPRIO(0, 2))));
    say("set class 5: %s\n", RES(ioset(1, 0, IOPRIO(5, 0))));
    say("set NONE: %s\n", RES(ioset(1, 0, IOPRIO(0, 0))));
    show_io("after NONE (from nice 0)");
    say("nice 10: %d\n", nice(10));
    show_io("after nice 10");
    say("bad which: %s\n", RES(ioget(9, 0)));
    say("no such pid: %s\n", RES(ioget(1, 0x3ffffff0)));
    say("set no such pid: %s\n", RES(ioset(1, 0x3ffffff0, IOPRIO(2, 0))));
    say("set BE 2 by pid: %s\n", RES(ioset(1, getpid(), IOPRIO(2, 2))));
    show_io("by pid");
    say("set for my user: %s\n", RES(ioset(3, 1000, IOPRIO(2, 2))));
    pid = fork();
    if (pid == 0) {
        show_io("child");
        if (setuid(1000) == 0) {
            say("user: RT: %s\n", RES(ioset(1, 0, IOPRIO(1, 0))));
            say("user: BE 7: %s\n", RES(ioset(1, 0, IOPRIO(2, 7))));
            say("user: parent's: %s\n", RES(ioset(1, getppid(), IOPRIO(2, 7))));
        }
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    uint64_t head = 1, len = 0;
    long r = syscall(SYS_get_robust_list, 0, &head, &len);
    say("get_robust_list: %s", RES(r));
    say(" len %llu\n", (unsigned long long)len);
    say("get_robust_list no such pid: %s\n", RES(syscall(SYS_get_robust_list, 0x3ffffff0, &head, &len)));
    say("ALL DONE\n");
    return 0;
}
