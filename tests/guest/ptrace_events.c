/* ptrace events and signals: signal-delivery stops with suppression and injection (the CONT data argument),
 * PTRACE_O_TRACEFORK/TRACEEXEC/TRACEEXIT event stops in Linux's order (the new pid in GETEVENTMSG, the child
 * auto-attached and stopped), single steps, SEIZE + INTERRUPT + LISTEN, /proc/PID/status TracerPid, and the
 * EPERM/ESRCH/EIO cases.  Output is the same on every ISA. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef TRAP_TRACE
#define TRAP_TRACE 2
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

static const char *describe(int status)
{
    static char buf[128];
    if (WIFEXITED(status))
        snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "killed by %s", strsignal(WTERMSIG(status)));
    else if (WIFSTOPPED(status)) {
        int event = status >> 16;
        const char *ev = event == PTRACE_EVENT_FORK ? "FORK" : event == PTRACE_EVENT_EXEC ? "EXEC"
                       : event == PTRACE_EVENT_EXIT ? "EXIT" : event == PTRACE_EVENT_STOP ? "STOP"
                       : event == PTRACE_EVENT_CLONE ? "CLONE" : event ? "?" : "";
        snprintf(buf, sizeof buf, "stopped by %s%s%s", strsignal(WSTOPSIG(status)), event ? " event " : "", ev);
    } else
        snprintf(buf, sizeof buf, "status %#x", status);
    return buf;
}

static long tracer_pid_of(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long tracer = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "TracerPid: %ld", &tracer) == 1)
            break;
    if (f)
        fclose(f);
    return tracer;
}

static volatile int usr1_seen, usr2_seen;
static void on_usr(int sig) { if (sig == SIGUSR1) usr1_seen++; else usr2_seen++; }

static void signals(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGUSR1, on_usr);
        signal(SIGUSR2, on_usr);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGUSR1);                       /* suppressed by the tracer */
        raise(SIGUSR2);                       /* replaced by SIGUSR1 */
        raise(SIGTERM);                       /* passed on: the handler-less default kills */
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("signals: %s, TracerPid is parent %d\n", describe(status), tracer_pid_of(pid) == getpid());
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    printf("  siginfo signo %s code SI_TKILL %d\n", strsignal(si.si_signo), si.si_code == SI_TKILL);
    ptrace(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    printf("  next: %s\n", describe(status));
    ptrace(PTRACE_CONT, pid, 0, (void *)SIGUSR1);
    waitpid(pid, &status, 0);
    printf("  next: %s\n", describe(status));
    ptrace(PTRACE_CONT, pid, 0, (void *)SIGTERM);
    waitpid(pid, &status, 0);
    printf("  end: %s\n", describe(status));
}

static void events(char *self)
{
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        pid_t child = fork();
        if (child == 0)
            _exit(5);
        waitpid(child, NULL, 0);
        execl(self, self, "exec-target", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)(PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT));
    pid_t grandchild = 0;
    ptrace(PTRACE_CONT, pid, 0, 0);
    for (int i = 0; i < 40; i++) {               /* each stop resumes only the process that made it */
        pid_t who = waitpid(-1, &status, __WALL);
        if (who < 0)
            break;
        if (who == pid && WIFSTOPPED(status) && WSTOPSIG(status) == SIGCHLD) {
            ptrace(PTRACE_CONT, pid, 0, (void *)SIGCHLD);  /* when the grandchild's end is reported: */
            continue;                                     /* not part of the order checked here */
        }
        unsigned long msg = 0;
        ptrace(PTRACE_GETEVENTMSG, who, 0, &msg);
        const char *role = who == pid ? "child" : "grandchild";
        printf("events: %s %s", role, describe(status));
        if (status >> 16 == PTRACE_EVENT_FORK) {
            grandchild = msg;
            int gstatus;
            waitpid(grandchild, &gstatus, __WALL);
            printf(", message is the new pid %d; it is %s, traced %d", (pid_t)msg > pid, describe(gstatus),
                   tracer_pid_of(grandchild) == getpid());
            ptrace(PTRACE_CONT, grandchild, 0, 0);
        }
        if (status >> 16 == PTRACE_EVENT_EXEC)
            printf(", message is the pid %d", msg == (unsigned long)pid);
        if (status >> 16 == PTRACE_EVENT_EXIT)
            printf(", message is the exit status %#lx", msg);
        printf("\n");
        if (WIFEXITED(status) && who == pid)
            break;
        if (WIFSTOPPED(status))
            ptrace(PTRACE_CONT, who, 0, 0);
    }
}

static void seize(void)
{
    int fds[2];
    pipe(fds);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(fds[0], &c, 1);                      /* asleep in a syscall when interrupted */
        raise(SIGSTOP);
        _exit(c);
    }
    long r = ptrace(PTRACE_SEIZE, pid, 0, 0);
    printf("seize: %ld, TracerPid %d\n", r, tracer_pid_of(pid) == getpid());
    int status;
    printf("  wait WNOHANG: %d\n", waitpid(pid, &status, WNOHANG));
    ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    waitpid(pid, &status, 0);
    printf("  interrupt: %s\n", describe(status));
    ptrace(PTRACE_CONT, pid, 0, 0);
    write(fds[1], "\7", 1);
    waitpid(pid, &status, 0);
    printf("  then: %s\n", describe(status));     /* SIGSTOP's signal-delivery stop */
    ptrace(PTRACE_CONT, pid, 0, (void *)SIGSTOP);
    waitpid(pid, &status, 0);
    printf("  group-stop: %s\n", describe(status));
    siginfo_t si;
    r = ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    printf("  getsiginfo in group-stop: %ld %s\n", r, r ? errname(errno) : strsignal(si.si_signo));
    printf("  listen: %ld\n", ptrace(PTRACE_LISTEN, pid, 0, 0));
    printf("  wait WNOHANG while listening: %d\n", waitpid(pid, &status, WNOHANG));
    kill(pid, SIGCONT);
    waitpid(pid, &status, 0);
    printf("  after SIGCONT: %s\n", describe(status));
    ptrace(PTRACE_CONT, pid, 0, 0);
    for (;;) {
        waitpid(pid, &status, 0);
        if (!WIFSTOPPED(status))
            break;
        printf("  stop: %s\n", describe(status));
        ptrace(PTRACE_CONT, pid, 0, 0);
    }
    printf("  end: %s\n", describe(status));
}

static void step(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        _exit(4);
    }
    int status, steps = 0;
    waitpid(pid, &status, 0);
    for (int i = 0; i < 5; i++) {
        ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        waitpid(pid, &status, 0);
        siginfo_t si;
        ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
        if (WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP && si.si_code == TRAP_TRACE)
            steps++;
    }
    ptrace(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    printf("singlestep: %d traps, then %s\n", steps, describe(status));
}

static void errors(void)
{
    errno = 0;
    long r = ptrace(PTRACE_CONT, getppid(), 0, 0);
    printf("errors: cont a non-tracee: %ld %s\n", r, errname(errno));
    r = ptrace(PTRACE_ATTACH, getpid(), 0, 0);
    printf("  attach self: %ld %s\n", r, errname(errno));
    r = ptrace(PTRACE_ATTACH, 999999, 0, 0);
    printf("  attach no such pid: %ld %s\n", r, errname(errno));
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        long again = ptrace(PTRACE_TRACEME, 0, 0, 0);
        int e = errno;
        raise(SIGSTOP);
        printf("  traceme twice: %ld %s\n", again, errname(e));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    r = ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    printf("  interrupt without seize: %ld %s\n", r, errname(errno));
    r = ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)0x40000000L);
    printf("  bad options: %ld %s\n", r, errname(errno));
    ptrace(PTRACE_DETACH, pid, 0, 0);
    waitpid(pid, &status, 0);
    printf("  after detach: %s\n", describe(status));
    pid = fork();
    if (pid == 0) {
        if (setuid(1000) != 0)
            _exit(1);
        errno = 0;
        long r2 = ptrace(PTRACE_ATTACH, getppid(), 0, 0);
        printf("  unprivileged attach to root: %ld %s\n", r2, errname(errno));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, &status, 0);
}

/* A tracer that exits: its stopped tracee runs on, or dies with PTRACE_O_EXITKILL.  The tracee is an
 * orphan then, and comes to us (a child subreaper) to be waited for. */
static void tracer_exits(int exitkill)
{
    pid_t tracer = fork();
    if (tracer == 0) {
        pid_t tracee = fork();
        if (tracee == 0) {
            ptrace(PTRACE_TRACEME, 0, 0, 0);
            raise(SIGSTOP);
            _exit(9);
        }
        int status;
        waitpid(tracee, &status, 0);
        if (exitkill)
            ptrace(PTRACE_SETOPTIONS, tracee, 0, (void *)(long)PTRACE_O_EXITKILL);
        _exit(0);                                 /* leaves the tracee stopped */
    }
    int status;
    waitpid(tracer, &status, 0);
    pid_t orphan = wait(&status);
    printf("tracer exits%s: the tracee %s\n", exitkill ? " with EXITKILL" : "",
           orphan > 0 ? describe(status) : errname(errno));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec-target") == 0)
        return 6;
    signals();
    events(argv[0]);
    seize();
    step();
    errors();
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    tracer_exits(0);
    tracer_exits(1);
    printf("ALL DONE\n");
    return 0;
}
