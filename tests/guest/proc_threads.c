/* proc_threads: /proc/self/task lists every thread, /proc/thread-self names the calling one, and the thread
 * count in status follows pthread_create and pthread_join.  Prints booleans and count differences only
 * (qemu-user runs a thread of its own, so absolute counts differ from Linux's under it). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_barrier_t started, finish;

static const char *yn(int b) { return b ? "yes" : "no"; }

static int count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

static int status_threads(void)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *p = strstr(buf, "\nThreads:\t");
    return p ? atoi(p + 10) : -1;
}

static void *worker(void *arg)
{
    int *ok = arg;
    char link[64], want[64];
    ssize_t n = readlink("/proc/thread-self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%d/task/%ld", (int)getpid(), (long)syscall(SYS_gettid));
    *ok = n > 0 && strcmp(link, want) == 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)syscall(SYS_gettid));
    *ok = *ok && access(path, R_OK) == 0;
    pthread_barrier_wait(&started);
    pthread_barrier_wait(&finish);
    return NULL;
}

int main(void)
{
    enum { N = 3 };
    pthread_t t[N];
    int ok[N];
    int base = count_tasks(), base_status = status_threads();
    printf("task entries match status Threads: %s\n", yn(base == base_status && base > 0));
    pthread_barrier_init(&started, NULL, N + 1);
    pthread_barrier_init(&finish, NULL, N + 1);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, worker, &ok[i]);
    pthread_barrier_wait(&started);
    printf("with %d more threads: task entries +%d, status Threads +%d\n", N, count_tasks() - base,
           status_threads() - base_status);
    pthread_barrier_wait(&finish);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++)
        printf("thread %d: thread-self and its task directory: %s\n", i, yn(ok[i]));
    /* pthread_join returns when the thread clears its tid, a moment before Linux removes it: allow for that */
    for (int tries = 0; tries < 1000 && (count_tasks() != base || status_threads() != base_status); tries++)
        usleep(1000);
    printf("joined: task entries +%d, status Threads +%d\n", count_tasks() - base, status_threads() - base_status);
    char self[64], want[64];
    ssize_t n = readlink("/proc/thread-self", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%d/task/%d", (int)getpid(), (int)getpid());
    printf("main thread-self: %s\n", yn(strcmp(self, want) == 0));
    return 0;
}
