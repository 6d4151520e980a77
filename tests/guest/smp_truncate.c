/* TLB shootdown across processes (issue 18, SMP): a reader maps a file shared and read-only (so it may run on
 * one CPU while the writer runs on another) and reads it in a loop; the writer truncates the file.  The reader's
 * next access must fault (SIGBUS past the end of the file), never read through a stale translation for ever.
 * usage: smp_truncate DIR */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf back;

static void on_bus(int sig) {
    siglongjmp(back, sig);
}

int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/smp_truncate.dat", argc > 1 ? argv[1] : "/tmp");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char page[4096];
    memset(page, 'x', sizeof page);
    if (fd < 0 || write(fd, page, sizeof page) != sizeof page) {
        perror(path);
        return 1;
    }
    int ready[2];
    if (pipe(ready) != 0)
        return 1;
    pid_t reader = fork();
    if (reader == 0) {
        int rfd = open(path, O_RDONLY);
        volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
        if (p == MAP_FAILED)
            _exit(3);
        signal(SIGBUS, on_bus);
        int sig = sigsetjmp(back, 1);
        if (sig) {
            printf("reader: %s after the truncate\n", sig == SIGBUS ? "SIGBUS" : "another signal");
            fflush(stdout);
            _exit(0);
        }
        long sum = p[0];                      /* mapped and read before the writer truncates */
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        for (;;)
            sum += p[sum & 4095];
    }
    char c;
    if (read(ready[0], &c, 1) != 1)
        return 1;
    usleep(20000);                            /* the reader is in its loop, on another CPU if there is one */
    if (ftruncate(fd, 0) != 0) {
        perror("ftruncate");
        return 1;
    }
    int status;
    waitpid(reader, &status, 0);
    printf("writer: reader exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    unlink(path);
    return 0;
}
