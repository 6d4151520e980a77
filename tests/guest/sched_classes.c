/* Scheduling classes: sched_setscheduler/getscheduler, sched_setparam/getparam, sched_setattr/getattr,
   sched_rr_get_interval, priority ranges, SCHED_RESET_ON_FORK, permissions, and that a runnable SCHED_FIFO task
   runs before a normal one on the same CPU.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#define SCHED_DEADLINE_POLICY 6

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
    char extra[16];
};

static int set(int policy, int prio)
{
    struct sched_param p = {.sched_priority = prio};
    return syscall(SYS_sched_setscheduler, 0, policy, &p);
}

static void show(const char *what)
{
    struct sched_param p = {-1};
    int policy = syscall(SYS_sched_getscheduler, 0);
    syscall(SYS_sched_getparam, 0, &p);
    struct timespec ts = {-1, -1};
    syscall(SYS_sched_rr_get_interval, 0, &ts);
    long ms = ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    say("%s: policy %#x priority %d rr interval %s\n", what, policy, p.sched_priority,
        policy == SCHED_RR ? (ms == 100 ? "100ms" : "?") : policy == SCHED_FIFO ? (ms == 0 ? "0" : "?") : "fair");
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fork a child that writes to a pipe as soon as it runs; spin for 200 ms; did the child run meanwhile? */
static void race(const char *what)
{
    int p[2];
    pipe(p);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    double end = now() + 0.2;
    while (now() < end)
        ;
    char c;
    int ran = read(p[0], &c, 1) == 1;
    waitpid(pid, NULL, 0);
    say("%s: the child ran while the parent spun: %d\n", what, ran);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    int policies[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE_POLICY, 4};
    for (int i = 0; i < 7; i++) {
        int lo = sched_get_priority_min(policies[i]);
        say("policy %d: min %s", policies[i], lo < 0 ? errname(errno) : "");
        if (lo >= 0)
            say("%d max %d", lo, sched_get_priority_max(policies[i]));
        say("\n");
    }
    show("start");
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    say("pin to cpu 0: %s\n", RES(sched_setaffinity(0, sizeof cpus, &cpus)));
    race("SCHED_OTHER parent");

    say("FIFO 0: %s\n", RES(set(SCHED_FIFO, 0)));
    say("FIFO 100: %s\n", RES(set(SCHED_FIFO, 100)));
    say("OTHER 5: %s\n", RES(set(SCHED_OTHER, 5)));
    say("policy 4: %s\n", RES(set(4, 0)));
    say("DEADLINE: %s\n", RES(set(SCHED_DEADLINE_POLICY, 0)));
    say("policy -1: %s\n", RES(set(-1, 0)));
    struct sched_param sp = {0};
    say("pid -1: %s\n", RES(syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, &sp)));
    say("no such pid: %s\n", RES(syscall(SYS_sched_setscheduler, 0x3ffffff0, SCHED_OTHER, &sp)));
    say("NULL param: %s\n", RES(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL)));
    say("getscheduler no such pid: %s\n", RES(syscall(SYS_sched_getscheduler, 0x3ffffff0)));

    say("FIFO 10: %s\n", RES(set(SCHED_FIFO, 10)));
    show("fifo");
    race("SCHED_FIFO parent");
    pid_t pid = fork();
    if (pid == 0) {
        show("child of fifo");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    struct sched_param p20 = {20};
    say("setparam 20: %s\n", RES(syscall(SYS_sched_setparam, 0, &p20)));
    show("after setparam");
    say("RR 5 with reset-on-fork: %s\n", RES(set(SCHED_RR | SCHED_RESET_ON_FORK, 5)));
    show("rr");
    pid = fork();
    if (pid == 0) {
        show("child of rr reset-on-fork");
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    /* sched_setattr / sched_getattr */
    struct attr a;
    memset(&a, 0, sizeof a);
    a.size = 48;
    a.policy = SCHED_BATCH;
    a.nice = 5;
    say("setattr batch nice 5: %s\n", RES(syscall(SYS_sched_setattr, 0, &a, 0)));
    memset(&a, 0, sizeof a);
    say("getattr: %s", RES(syscall(SYS_sched_getattr, 0, &a, 48, 0)));
    say(" size %u policy %u flags %llu nice %d priority %u getpriority %d\n", a.size, a.policy,
        (unsigned long long)a.flags, a.nice, a.priority, getpriority(PRIO_PROCESS, 0));
    show("batch");
    memset(&a, 0, sizeof a);
    a.size = 47;
    int r = syscall(SYS_sched_setattr, 0, &a, 0);
    say("setattr size 47: %s size now %u\n", RES(r), a.size);
    memset(&a, 0, sizeof a);
    a.size = 64;
    a.extra[3] = 1;
    r = syscall(SYS_sched_setattr, 0, &a, 0);
    say("setattr unknown tail: %s size now %u\n", RES(r), a.size);
    memset(&a, 0, sizeof a);
    a.size = 48;
    say("setattr flags arg: %s\n", RES(syscall(SYS_sched_setattr, 0, &a, 1)));
    a.flags = 0x100;
    say("setattr unknown sched_flags: %s\n", RES(syscall(SYS_sched_setattr, 0, &a, 0)));
    a.flags = 0;
    a.policy = SCHED_DEADLINE_POLICY;
    say("setattr deadline without parameters: %s\n", RES(syscall(SYS_sched_setattr, 0, &a, 0)));
    a.policy = SCHED_IDLE;
    a.nice = 0;
    say("setattr idle: %s\n", RES(syscall(SYS_sched_setattr, 0, &a, 0)));
    show("idle");
    say("getattr size 47: %s\n", RES(syscall(SYS_sched_getattr, 0, &a, 47, 0)));
    say("getattr flags: %s\n", RES(syscall(SYS_sched_getattr, 0, &a, 48, 1)));
    a.policy = SCHED_FIFO;
    a.priority = 30;
    a.flags = 0x1;                           /* SCHED_FLAG_RESET_ON_FORK */
    say("setattr fifo 30 reset-on-fork: %s\n", RES(syscall(SYS_sched_setattr, 0, &a, 0)));
    memset(&a, 0, sizeof a);
    syscall(SYS_sched_getattr, 0, &a, 48, 0);
    say("getattr: policy %u flags %llu priority %u\n", a.policy, (unsigned long long)a.flags, a.priority);
    say("back to OTHER: %s\n", RES(set(SCHED_OTHER, 0)));
    show("other");

    /* an unprivileged process */
    pid = fork();
    if (pid == 0) {
        if (setuid(1000) < 0) {
            say("setuid: %s\n", errname(errno));
            _exit(0);
        }
        say("user: FIFO 1: %s\n", RES(set(SCHED_FIFO, 1)));
        say("user: BATCH: %s\n", RES(set(SCHED_BATCH, 0)));
        say("user: IDLE: %s\n", RES(set(SCHED_IDLE, 0)));
        say("user: back from IDLE: %s\n", RES(set(SCHED_OTHER, 0)));
        say("user: another's process: %s\n", RES(syscall(SYS_sched_setscheduler, getppid(), SCHED_OTHER, &sp)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    say("ALL DONE\n");
    return 0;
}
