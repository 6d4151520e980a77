/* Named pipes: mkfifo, opening blocks until the other end opens (O_NONBLOCK read open succeeds at once,
 * write open fails with ENXIO), data through the FIFO between processes, EOF, stat type. */
#include "conf.h"

int main(void)
{
    scratch();
    SHOW("mkfifo", mkfifo("fifo", 0644));
    SHOW("mkfifo again", mkfifo("fifo", 0644));
    struct stat sb;
    stat("fifo", &sb);
    printf("is a fifo: %d\n", S_ISFIFO(sb.st_mode));
    SHOW("open write O_NONBLOCK without a reader", open("fifo", O_WRONLY | O_NONBLOCK));
    int r = open("fifo", O_RDONLY | O_NONBLOCK);
    printf("open read O_NONBLOCK: %s\n", r >= 0 ? "ok" : errname(errno));
    char buf[64];
    SHOW("read with no writer ever", read(r, buf, sizeof buf));
    int w = open("fifo", O_WRONLY | O_NONBLOCK);
    printf("open write O_NONBLOCK with a reader: %s\n", w >= 0 ? "ok" : errname(errno));
    SHOW("read empty with a writer", read(r, buf, sizeof buf));
    write(w, "hi", 2);
    SHOW("read data", read(r, buf, sizeof buf));
    close(w);
    SHOW("read after the writer closed", read(r, buf, sizeof buf));
    close(r);

    /* blocking opens rendezvous */
    pid_t pid = xfork();
    if (pid == 0) {
        int fd = open("fifo", O_WRONLY);    /* blocks until the parent opens for reading */
        if (fd < 0) _exit(1);
        for (int i = 0; i < 100; i++) write(fd, "0123456789", 10);
        _exit(0);
    }
    int fd = open("fifo", O_RDONLY);
    ssize_t n, total = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
    printf("read through the fifo: %zd bytes then %s\n", total, n == 0 ? "EOF" : errname(errno));
    reap("writer", pid);
    close(fd);

    fd = open("fifo", O_RDWR);   /* Linux: O_RDWR on a FIFO never blocks */
    printf("open O_RDWR: %s\n", fd >= 0 ? "ok" : errname(errno));
    write(fd, "x", 1);
    SHOW("read own write", read(fd, buf, 1));
    SHOW("lseek on a fifo", lseek(fd, 0, SEEK_SET));
    SHOW("unlink fifo", unlink("fifo"));
    SHOW("mknod S_IFIFO", mknod("fifo2", S_IFIFO | 0600, 0));
    SHOW("mkfifo in a missing directory", mkfifo("nodir/f", 0600));
    return 0;
}
