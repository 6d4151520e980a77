/* epoll hears a pipe's far end closing even when it watches only EPOLLIN (EPOLLERR and EPOLLHUP are always
   reported): the write end watched for input gets EPOLLERR when the last reader goes, the read end EPOLLHUP
   when the last writer goes -- how asyncio notices a subprocess closing its stdin. */
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "say.h"

static void watch(int fd, const char *what, int closing)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    say("%s before: %d\n", what, epoll_wait(ep, &ev, 1, 0));
    close(closing);
    int n = epoll_wait(ep, &ev, 1, 2000);
    say("%s after the far end closed: %d events %#x\n", what, n, n > 0 ? ev.events : 0);
    close(ep);
}

int main(void)
{
    int p[2];
    pipe(p);
    watch(p[1], "write end", p[0]);
    close(p[1]);
    pipe(p);
    watch(p[0], "read end", p[1]);
    return 0;
}
