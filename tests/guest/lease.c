/* File leases: F_SETLEASE/F_GETLEASE, what the opens of the file allow, a lease broken by another process's
   open (the holder's signal with POLL_MSG; the opener waits until the lease is given up; O_NONBLOCK opens get
   EWOULDBLOCK), a write lease downgraded for a reader.  In a directory of its own under /tmp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

static const char *lease_name(int t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static int wait_child(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
    char dir[128], path[256];
    snprintf(dir, sizeof dir, "/tmp/pynix-lease-%d", getpid());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/file", dir);
    close(open(path, O_WRONLY | O_CREAT, 0644));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);

    int p[2];
    pipe(p);
    say("lease on a pipe: %s\n", RES(fcntl(p[0], F_SETLEASE, F_RDLCK)));
    int rw = open(path, O_RDWR);
    say("read lease on an O_RDWR file: %s\n", RES(fcntl(rw, F_SETLEASE, F_RDLCK)));
    int fd = open(path, O_RDONLY);
    say("write lease while another open exists: %s\n", RES(fcntl(fd, F_SETLEASE, F_WRLCK)));
    close(rw);
    say("bad type: %s\n", RES(fcntl(fd, F_SETLEASE, 7)));
    say("getlease none: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    say("read lease: %s\n", RES(fcntl(fd, F_SETLEASE, F_RDLCK)));
    say("getlease: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    fcntl(fd, F_SETSIG, SIGUSR1);

    pid_t pid = fork();
    if (pid == 0) {
        int r = open(path, O_RDONLY);
        say("child: read open: %s\n", RES(r));
        _exit(0);
    }
    wait_child(pid);
    pid = fork();
    if (pid == 0) {
        say("child: non-blocking write open: %s\n", RES(open(path, O_WRONLY | O_NONBLOCK)));
        _exit(0);
    }
    wait_child(pid);
    siginfo_t si;
    struct timespec ts = {5, 0};
    int sig = sigtimedwait(&set, &si, &ts);
    say("holder signalled: %d code POLL_MSG %d fd right %d\n", sig == SIGUSR1, si.si_code == POLL_MSG, si.si_fd == fd);
    say("getlease while breaking: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    say("unlock: %s\n", RES(fcntl(fd, F_SETLEASE, F_UNLCK)));

    say("getsig after the unlock: %d\n", fcntl(fd, F_GETSIG));   /* F_UNLCK cleared it */
    say("read lease again: %s\n", RES(fcntl(fd, F_SETLEASE, F_RDLCK)));
    fcntl(fd, F_SETSIG, SIGUSR1);
    pid = fork();
    if (pid == 0) {
        int r = open(path, O_WRONLY);        /* waits for the holder */
        say("child: blocking write open: %s\n", RES(r));
        _exit(0);
    }
    sig = sigtimedwait(&set, &si, &ts);
    say("holder signalled again: %d\n", sig == SIGUSR1);
    usleep(100000);
    int done = waitpid(pid, NULL, WNOHANG);
    say("opener still waiting: %d\n", done == 0);
    fcntl(fd, F_SETLEASE, F_UNLCK);
    say("child: %d\n", wait_child(pid));

    say("write lease: %s\n", RES(fcntl(fd, F_SETLEASE, F_WRLCK)));
    fcntl(fd, F_SETSIG, SIGUSR1);
    say("getlease: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    pid = fork();
    if (pid == 0) {
        int r = open(path, O_RDONLY);        /* waits for a downgrade */
        say("child: read open after the downgrade: %s\n", RES(r));
        _exit(0);
    }
    sig = sigtimedwait(&set, &si, &ts);
    say("write-lease holder signalled: %d getlease %s\n", sig == SIGUSR1, lease_name(fcntl(fd, F_GETLEASE)));
    int r = fcntl(fd, F_SETLEASE, F_RDLCK);
    say("child: %d\n", wait_child(pid));
    say("downgrade: %s\n", RES(r));
    say("getlease after the downgrade: %s\n", lease_name(fcntl(fd, F_GETLEASE)));
    fcntl(fd, F_SETLEASE, F_UNLCK);

    pid = fork();
    if (pid == 0) {
        if (setuid(1000) == 0) {
            r = open(path, O_RDONLY);
            say("user: lease on another's file: %s\n", RES(fcntl(r, F_SETLEASE, F_RDLCK)));
        }
        _exit(0);
    }
    wait_child(pid);
    close(fd);
    unlink(path);
    rmdir(dir);
    say("ALL DONE\n");
    return 0;
}
