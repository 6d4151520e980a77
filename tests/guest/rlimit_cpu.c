/* RLIMIT_CPU (issue 21): past the soft limit the process gets SIGXCPU, again each further second of CPU time
 * (the soft limit moving up a second each time), and SIGKILL at the hard limit; without a handler SIGXCPU's
 * default action ends it (a core-dump action).  Each case runs in a child that computes until it dies. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int xcpu;
static volatile rlim_t soft_seen[8];

static void on_xcpu(int sig)
{
    (void)sig;
    struct rlimit rl;
    getrlimit(RLIMIT_CPU, &rl);
    if (xcpu < 8)
        soft_seen[xcpu] = rl.rlim_cur;
    xcpu++;
    if (xcpu == 2) {                           /* report from the handler: the child dies of SIGKILL later */
        char line[80];
        int n = snprintf(line, sizeof line, "handler: SIGXCPU twice, soft limit then %lu and %lu\n",
                         (unsigned long)soft_seen[0], (unsigned long)soft_seen[1]);
        write(1, line, n);
    }
}

static void run(const char *what, rlim_t soft, rlim_t hard, int handle)
{
    pid_t child = fork();
    if (child == 0) {
        if (handle)
            signal(SIGXCPU, on_xcpu);
        struct rlimit rl = {soft, hard};
        if (setrlimit(RLIMIT_CPU, &rl) != 0) {
            perror("setrlimit");
            _exit(99);
        }
        volatile unsigned long x = 1;
        for (;;)
            x = x * 6364136223846793005UL + 1;
    }
    int status;
    waitpid(child, &status, 0);
    printf("%s: killed by %s\n", what, WIFSIGNALED(status) ? (WTERMSIG(status) == SIGKILL ? "SIGKILL" :
           WTERMSIG(status) == SIGXCPU ? "SIGXCPU" : "another signal") : "nothing");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    run("soft 1 s, no handler", 1, RLIM_INFINITY, 0);
    run("soft 1 s, hard 3 s, handled", 1, 3, 1);
    run("soft = hard = 1 s, handled", 1, 1, 1);
    return 0;
}
