/* conf.h: helpers shared by the conformance programs (the runner inlines this file before compiling).
 *
 * Rules for a conformance program: print only what is the same on every run and every Linux host -- values,
 * booleans, errno *names* -- never addresses, pids, times, paths or host-specific sizes; stdout is unbuffered
 * so that output written before a fork is never duplicated; a program whose set-up step fails prints why and
 * exits 1 instead of blocking (a missing syscall must not turn into a hang).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../guest/errname.h"   /* errname(): the symbolic name of an errno value */

__attribute__((unused)) static const char *signame(int sig)
{
    static const char *names[] = {
        "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    };
    static char buf[16];
    if (sig >= 0 && sig < (int)(sizeof names / sizeof names[0])) return names[sig];
    snprintf(buf, sizeof buf, "SIG%d", sig);
    return buf;
}

/* `label: VALUE` for a success, `label: -1 ENAME` for a failure (libc convention: -1 and errno). */
__attribute__((unused)) static void show_(const char *label, long r, int e)
{
    if (r == -1) printf("%s: -1 %s\n", label, errname(e));
    else printf("%s: %ld\n", label, r);
}
#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); show_((label), r_, errno); } while (0)

/* `label: ok` for any success (for results that vary: fds of unknown number, pids, sizes), else the error. */
__attribute__((unused)) static void ok_(const char *label, long r, int e)
{
    if (r == -1) printf("%s: -1 %s\n", label, errname(e));
    else printf("%s: ok\n", label);
}
#define OK(label, expr) do { errno = 0; long r_ = (long)(expr); ok_((label), r_, errno); } while (0)

/* Set-up that must work for the rest of the test to mean anything: on failure say why and exit 1. */
#define MUST(expr) do { errno = 0; if ((long)(expr) == -1) { \
        printf("setup failed: %s: %s\n", #expr, errname(errno)); exit(1); } } while (0)

/* A wait status as text: `exited N`, `killed SIGNAME`, `stopped SIGNAME`, `continued`. */
__attribute__((unused)) static const char *status_text(int st)
{
    static char buf[64];
    if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "killed %s%s", signame(WTERMSIG(st)),
                                       WCOREDUMP(st) ? " (core)" : "");
    else if (WIFSTOPPED(st)) snprintf(buf, sizeof buf, "stopped %s", signame(WSTOPSIG(st)));
    else if (WIFCONTINUED(st)) snprintf(buf, sizeof buf, "continued");
    else snprintf(buf, sizeof buf, "status %#x", st);
    return buf;
}

/* Wait for `pid` and print `label: <status>`; returns the raw status. */
__attribute__((unused)) static int reap(const char *label, pid_t pid)
{
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r == -1 && errno == EINTR);
    if (r == -1) printf("%s: waitpid -1 %s\n", label, errname(errno));
    else printf("%s: %s\n", label, status_text(st));
    return st;
}

__attribute__((unused)) static pid_t xfork(void)
{
    pid_t pid = fork();
    if (pid == -1) {
        printf("setup failed: fork: %s\n", errname(errno));
        exit(1);
    }
    return pid;
}

/* ------------------------------------------------------------------------------- a private scratch directory */

static char conf_scratch[64];
static pid_t conf_owner;

__attribute__((unused)) static void conf_rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
                char sub[4096];
                snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
                conf_rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

__attribute__((unused)) static void conf_cleanup(void)
{
    if (conf_scratch[0] && getpid() == conf_owner) conf_rm_rf(conf_scratch);
}

/* Create a fresh directory under /dev/shm (the writable tmpfs under pynix), make it the cwd and remove it at
 * exit; tests then use relative names only, so the random directory name never reaches the output. */
__attribute__((unused)) static void scratch(void)
{
    strcpy(conf_scratch, "/dev/shm/pynix-conf-XXXXXX");
    if (!mkdtemp(conf_scratch)) {
        printf("setup failed: mkdtemp in /dev/shm: %s\n", errname(errno));
        exit(1);
    }
    conf_owner = getpid();
    atexit(conf_cleanup);
    if (chdir(conf_scratch) != 0) {
        printf("setup failed: chdir to the scratch directory: %s\n", errname(errno));
        exit(1);
    }
}

/* Write a whole string to a new file (mode 0644 before the umask); exits on failure. */
__attribute__((unused)) static void put_file(const char *name, const char *text)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("setup failed: create %s: %s\n", name, errname(errno));
        exit(1);
    }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        printf("setup failed: write %s: %s\n", name, errname(errno));
        exit(1);
    }
    close(fd);
}

__attribute__((constructor)) static void conf_init(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
}
