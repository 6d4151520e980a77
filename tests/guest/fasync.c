/* Signal-driven I/O: F_SETOWN/F_GETOWN, F_SETOWN_EX/F_GETOWN_EX, F_SETSIG/F_GETSIG, O_ASYNC on a pipe and a
   socket pair: SIGIO, or the F_SETSIG signal with si_code, si_band and si_fd.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

static volatile int sigio, usr1, code, band, fd_seen;
static void on_sigio(int sig) { (void)sig; sigio++; }
static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    usr1++;
    code = si->si_code;
    band = si->si_band;
    fd_seen = si->si_fd;
}

int main(void)
{
    signal(SIGIO, on_sigio);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    int p[2];
    pipe(p);
    say("getown fresh: %d getsig %d\n", fcntl(p[0], F_GETOWN), fcntl(p[0], F_GETSIG));
    say("setown no such pid: %s\n", RES(fcntl(p[0], F_SETOWN, 0x3ffffff0)));
    say("setsig 65: %s\n", RES(fcntl(p[0], F_SETSIG, 65)));
    struct f_owner_ex ex = {5, getpid()};
    say("setown_ex bad type: %s\n", RES(fcntl(p[0], F_SETOWN_EX, &ex)));
    int r = fcntl(p[0], F_SETOWN, getpid());
    say("setown me: %s getown is me %d\n", RES(r), fcntl(p[0], F_GETOWN) == getpid());
    ex.type = F_OWNER_PGRP;
    ex.pid = getpgrp();
    r = fcntl(p[0], F_SETOWN_EX, &ex);
    say("setown_ex pgrp: %s getown is -pgrp %d\n", RES(r), fcntl(p[0], F_GETOWN) == -getpgrp());
    struct f_owner_ex got;
    fcntl(p[0], F_GETOWN_EX, &got);
    say("getown_ex: type %d is pgrp %d\n", got.type, got.pid == getpgrp());
    fcntl(p[0], F_SETOWN, getpid());

    write(p[1], "x", 1);
    say("no O_ASYNC yet: sigio %d\n", sigio);
    say("O_ASYNC: %s\n", RES(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC)));
    write(p[1], "y", 1);
    say("after a write: sigio %d\n", sigio);
    char buf[8];
    read(p[0], buf, sizeof buf);
    say("after a read (read end only): sigio %d\n", sigio);
    fcntl(p[0], F_SETSIG, SIGUSR1);
    say("getsig %d\n", fcntl(p[0], F_GETSIG));
    write(p[1], "z", 1);
    say("F_SETSIG: sigio %d usr1 %d code POLL_IN %d band %#x fd right %d\n", sigio, usr1, code == POLL_IN, band,
        fd_seen == p[0]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_ASYNC);
    write(p[1], "w", 1);
    say("O_ASYNC off: usr1 %d\n", usr1);

    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    fcntl(s[0], F_SETOWN, getpid());
    fcntl(s[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    int before = sigio;
    write(s[1], "hello", 5);
    say("socket: sigio after a write %d\n", sigio > before);
    say("ALL DONE\n");
    return 0;
}
