/* fs_fifo: named pipes made with mkfifo on /dev/shm -- non-blocking opens (ENXIO for a writer without a reader),
   blocking opens that wait for the other side (in both orders, with fork), O_RDWR opens, EOF and EAGAIN, data
   dropped when the last user closes, fstat/lseek on an open fifo, EPIPE, and a fifo that outlives its name. */
#define _GNU_SOURCE
#include "errname.h"
#include "fs_util.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void read_all(const char *who, int fd)
{
    char buf[256];
    size_t total = 0;
    ssize_t n;
    while (total < sizeof buf - 1 && (n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    say("%s read until EOF: [%s]\n", who, buf);
}

static void reap(const char *who)
{
    int status = 0;
    wait(&status);
    say("%s exited %d\n", who, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    setup("fifo");
    TRY("mkfifo p", mkfifo("p", 0644));
    show("p");
    TRY("mkfifo p again", mkfifo("p", 0644));

    say("--- non-blocking opens\n");
    TRY("open O_WRONLY|O_NONBLOCK without a reader", open("p", O_WRONLY | O_NONBLOCK));
    int r = open("p", O_RDONLY | O_NONBLOCK);
    say("open O_RDONLY|O_NONBLOCK: %s\n", r >= 0 ? "ok" : errname(errno));
    char buf[64];
    TRY("read with no writer (EOF)", read(r, buf, sizeof buf));
    int w = open("p", O_WRONLY | O_NONBLOCK);
    say("open O_WRONLY|O_NONBLOCK with a reader: %s\n", w >= 0 ? "ok" : errname(errno));
    TRY("write abc", write(w, "abc", 3));
    memset(buf, 0, sizeof buf);
    TRY("read", read(r, buf, sizeof buf));
    say("  got [%s]\n", buf);
    TRY("read empty with a writer", read(r, buf, sizeof buf));
    struct stat s;
    fstat(r, &s);
    say("fstat read end: %c%04o size=%lld\n", type_char(s.st_mode), (unsigned)(s.st_mode & 07777), (long long)s.st_size);
    TRY("lseek on a fifo", lseek(r, 0, SEEK_SET));
    TRY("fcntl F_GETFL read end & O_ACCMODE", fcntl(r, F_GETFL) & O_ACCMODE);
    TRY("fcntl F_GETFL write end & O_ACCMODE", fcntl(w, F_GETFL) & O_ACCMODE);
    close(w);
    TRY("read after the writer closed (EOF)", read(r, buf, sizeof buf));
    w = open("p", O_WRONLY | O_NONBLOCK);
    close(r);
    TRY("write after the reader closed", write(w, "x", 1));
    close(w);

    say("--- O_RDWR\n");
    int rw = open("p", O_RDWR);
    say("open O_RDWR (never waits): %s\n", rw >= 0 ? "ok" : errname(errno));
    TRY("write 1234", write(rw, "1234", 4));
    memset(buf, 0, sizeof buf);
    TRY("read", read(rw, buf, sizeof buf));
    say("  got [%s]\n", buf);
    TRY("write lost", write(rw, "lost", 4));
    close(rw);
    rw = open("p", O_RDWR | O_NONBLOCK);
    TRY("read after everyone closed (data dropped)", read(rw, buf, sizeof buf));
    close(rw);

    say("--- blocking open: the writer comes first\n");
    pid_t pid = fork();
    if (pid == 0) {
        int cw = open("p", O_WRONLY);          /* waits for the parent's reader */
        if (cw < 0)
            _exit(10);
        write(cw, "from child", 10);
        close(cw);
        _exit(0);
    }
    nap(100);
    r = open("p", O_RDONLY);
    say("parent open O_RDONLY: %s\n", r >= 0 ? "ok" : errname(errno));
    read_all("parent", r);
    close(r);
    reap("writer child");

    say("--- blocking open: the reader comes first\n");
    pid = fork();
    if (pid == 0) {
        int cr = open("p", O_RDONLY);          /* waits for the parent's writer */
        if (cr < 0)
            _exit(10);
        read_all("child", cr);
        close(cr);
        _exit(0);
    }
    nap(100);
    w = open("p", O_WRONLY);
    say("parent open O_WRONLY: %s\n", w >= 0 ? "ok" : errname(errno));
    TRY("parent write at once", write(w, "hello fifo", 10));
    close(w);
    reap("reader child");

    say("--- two writers, one reader\n");
    pid = fork();
    if (pid == 0) {
        int cw = open("p", O_WRONLY);
        write(cw, "A", 1);
        nap(50);
        close(cw);
        _exit(0);
    }
    r = open("p", O_RDONLY);
    w = open("p", O_WRONLY);
    write(w, "B", 1);
    close(w);
    char two[8] = {0};
    size_t got = 0;
    ssize_t n;
    while (got < 2 && (n = read(r, two + got, 2 - got)) > 0)
        got += n;
    say("reader got %zu bytes (%s)\n", got, (!strcmp(two, "AB") || !strcmp(two, "BA")) ? "A and B" : two);
    read_all("parent", r);
    close(r);
    reap("second writer");

    say("--- a fifo outlives its name\n");
    r = open("p", O_RDONLY | O_NONBLOCK);
    w = open("p", O_WRONLY | O_NONBLOCK);
    TRY("unlink p", unlink("p"));
    TRY("write", write(w, "still", 5));
    memset(buf, 0, sizeof buf);
    TRY("read", read(r, buf, sizeof buf));
    say("  got [%s]\n", buf);
    TRY("open p after unlink", open("p", O_RDONLY | O_NONBLOCK));
    close(r);
    close(w);
    cleanup();
    return 0;
}
