/* book_pipe: a pipeline's blocking, for the book's chapter 4 (docs/book/processes.md) on machines without a
   shell and programs of their own (a riscv64 pynix runs no host program).  One program plays three, as busybox
   does, chosen by the name it is run as: first it links the names sh, cat and wc to itself in a new directory
   under /tmp and runs itself as `sh`, so that each process has the name of the program it stands for; `sh`
   makes a pipe, starts `cat`, which writes 2 MiB into it, and `wc`, which sleeps 0.2 s, then reads the pipe
   to its end and prints how many bytes it read; `sh` waits for both. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define CHUNKS 32
static char buf[CHUNK];
static char dir[] = "/tmp/book_pipe_XXXXXX";

static void run_as(const char *name, int in, int out)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (in >= 0)
        dup2(in, 0);
    if (out >= 0)
        dup2(out, 1);
    execl(path, name, dir, (char *)NULL);
    perror(path);
    _exit(127);
}

int main(int argc, char **argv)
{
    const char *me = basename(argv[0]);
    if (strcmp(me, "cat") == 0) {                /* write 2 MiB to the pipe: stdout */
        for (int i = 0; i < CHUNKS; i++)
            for (ssize_t done = 0, n; done < CHUNK; done += n)
                if ((n = write(1, buf + done, CHUNK - done)) < 0)
                    return 1;
        return 0;
    }
    if (strcmp(me, "wc") == 0) {                 /* sleep, then count what the pipe (stdin) holds */
        nanosleep(&(struct timespec){0, 200000000}, NULL);
        long total = 0;
        for (ssize_t n; (n = read(0, buf, sizeof buf)) > 0;)
            total += n;
        printf("%ld\n", total);
        return 0;
    }
    if (strcmp(me, "sh") == 0) {                 /* the pipeline, then clean up the links */
        strcpy(dir, argv[1]);
        int p[2];
        pipe(p);
        pid_t cat = fork();
        if (cat == 0) {
            close(p[0]);
            run_as("cat", -1, p[1]);
        }
        pid_t wc = fork();
        if (wc == 0) {
            close(p[1]);
            run_as("wc", p[0], -1);
        }
        close(p[0]);
        close(p[1]);
        waitpid(cat, NULL, 0);
        waitpid(wc, NULL, 0);
        for (const char **name = (const char *[]){"sh", "cat", "wc", NULL}; *name; name++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s", dir, *name);
            unlink(path);
        }
        rmdir(dir);
        return 0;
    }
    char self[PATH_MAX];                         /* first run: make the names, become sh */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0 || !mkdtemp(dir))
        return 1;
    self[n] = 0;
    for (const char **name = (const char *[]){"sh", "cat", "wc", NULL}; *name; name++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, *name);
        if (symlink(self, path) < 0)
            return 1;
    }
    run_as("sh", -1, -1);
}
