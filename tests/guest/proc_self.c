/* proc_self: /proc/self and /proc/<pid> as programs use them.  Prints booleans and names only (never pids,
 * addresses or sizes), so the output is the same natively, under qemu-user and under pynix. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static const char *yn(int b) { return b ? "yes" : "no"; }

/* The whole file (NUL bytes kept); its length in *len. */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
        ssize_t r = read(fd, buf + n, cap - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Field 3.. of a stat line, after the ") " that ends the command name. */
static const char *after_comm(const char *stat)
{
    const char *p = strrchr(stat, ')');
    return p ? p + 2 : "";
}

static int dir_has(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

int main(int argc, char **argv)
{
    char buf[PATH_MAX + 1], cwd[PATH_MAX + 1], path[64];
    pid_t pid = getpid();

    /* /proc/self */
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("/proc/self names our pid: %s\n", yn(n > 0 && atoi(buf) == pid));

    /* exe */
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) {
        printf("readlink /proc/self/exe: %s\n", errname(errno));
    } else {
        buf[n] = 0;
        printf("exe basename: %s\n", base_name(buf));
        printf("exe is absolute: %s\n", yn(buf[0] == '/'));
    }

    /* cwd */
    getcwd(cwd, sizeof cwd);
    n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("cwd link equals getcwd(): %s\n", yn(n > 0 && strcmp(buf, cwd) == 0));
    if (chdir("/tmp") == 0) {
        getcwd(cwd, sizeof cwd);
        n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
        buf[n > 0 ? n : 0] = 0;
        printf("after chdir(/tmp): cwd link equals getcwd(): %s\n", yn(n > 0 && strcmp(buf, cwd) == 0));
    }
    n = readlink("/proc/self/root", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("root link is /: %s\n", yn(n == 1 && buf[0] == '/'));

    /* fd */
    struct stat s;
    printf("/proc/self/fd/1 exists: %s\n", yn(access("/proc/self/fd/1", F_OK) == 0));
    printf("/proc/self/fd/1 is a symlink: %s\n", yn(lstat("/proc/self/fd/1", &s) == 0 && S_ISLNK(s.st_mode)));
    printf("fd dir lists 0, 1, 2: %s\n",
           yn(dir_has("/proc/self/fd", "0") && dir_has("/proc/self/fd", "1") && dir_has("/proc/self/fd", "2")));
    int fd = open("/proc/self/exe", O_RDONLY);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char target[PATH_MAX + 1], exe[PATH_MAX + 1];
    n = readlink(path, target, sizeof target - 1);
    target[n > 0 ? n : 0] = 0;
    ssize_t m = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[m > 0 ? m : 0] = 0;
    printf("fd of an opened file links to its path: %s\n", yn(n > 0 && strcmp(target, exe) == 0));
    close(fd);
    errno = 0;
    n = readlink("/proc/self/fd/999", buf, sizeof buf);
    printf("readlink of a closed fd: %zd %s\n", n, errname(errno));

    /* maps */
    char *maps = slurp("/proc/self/maps", NULL);
    printf("maps readable: %s\n", yn(maps != NULL));
    if (maps) {
        printf("maps has [stack]: %s\n", yn(strstr(maps, "[stack]") != NULL));
        int lines = 0, good = 0, exe_mapped = 0;
        for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
            unsigned long lo, hi, off, ino;
            unsigned maj, min;
            char perms[8];
            lines++;
            if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &lo, &hi, perms, &off, &maj, &min, &ino) == 7 && lo < hi &&
                strlen(perms) == 4 && (perms[3] == 'p' || perms[3] == 's'))
                good++;
            if (strstr(line, exe) && strchr(perms, 'x'))
                exe_mapped = 1;
        }
        printf("every maps line parses: %s\n", yn(lines > 0 && lines == good));
        printf("exe mapped executable: %s\n", yn(exe_mapped));
        free(maps);
    }

    /* stat and status */
    char *stat = slurp("/proc/self/stat", NULL);
    if (stat) {
        int spid = atoi(stat);
        printf("stat pid field equals getpid(): %s\n", yn(spid == pid));
        char comm[32];
        snprintf(comm, sizeof comm, "(%.15s)", base_name(argv[0]));
        printf("stat comm field is (basename): %s\n", yn(strstr(stat, comm) == stat + strcspn(stat, "(")));
        char state;
        int ppid = 0;
        sscanf(after_comm(stat), "%c %d", &state, &ppid);   /* (qemu-user shows the state as 0) */
        printf("stat ppid equals getppid(): %s\n", yn(ppid == getppid()));
        free(stat);
    }
    char *status = slurp("/proc/self/status", NULL);
    if (status) {
        char want[64];
        snprintf(want, sizeof want, "\nPid:\t%d\n", (int)pid);
        printf("status has Pid: %s\n", yn(strstr(status, want) != NULL));
        snprintf(want, sizeof want, "\nPPid:\t%d\n", (int)getppid());
        printf("status has PPid: %s\n", yn(strstr(status, want) != NULL));
        printf("status starts with Name: %s\n", yn(strncmp(status, "Name:\t", 6) == 0));
        printf("status has VmRSS: %s\n", yn(strstr(status, "\nVmRSS:") != NULL));
        free(status);
    }

    /* cmdline */
    size_t len;
    char *cmdline = slurp("/proc/self/cmdline", &len);
    size_t want_len = 0;
    for (int i = 0; i < argc; i++)
        want_len += strlen(argv[i]) + 1;
    int same = cmdline && len == want_len;
    for (size_t off = 0, i = 0; same && i < (size_t)argc; i++) {
        same = strcmp(cmdline + off, argv[i]) == 0;
        off += strlen(argv[i]) + 1;
    }
    printf("cmdline is argv, NUL-separated: %s\n", yn(same));
    free(cmdline);
    char *environ_text = slurp("/proc/self/environ", &len);
    int found = 0;
    for (size_t off = 0; environ_text && off < len; off += strlen(environ_text + off) + 1)
        if (strcmp(environ_text + off, "PYNIX_PROC_TEST=hello from the environment") == 0)
            found = 1;
    printf("environ has our variable: %s\n", yn(found));
    free(environ_text);

    /* global files */
    char *meminfo = slurp("/proc/meminfo", NULL);
    printf("meminfo starts with MemTotal: %s\n", yn(meminfo && strncmp(meminfo, "MemTotal:", 9) == 0));
    printf("meminfo has MemAvailable: %s\n", yn(meminfo && strstr(meminfo, "\nMemAvailable:") != NULL));
    free(meminfo);
    double up = -1;
    char *uptime = slurp("/proc/uptime", NULL);
    if (uptime)
        sscanf(uptime, "%lf", &up);
    printf("uptime positive: %s\n", yn(up > 0));
    free(uptime);
    char *version = slurp("/proc/version", NULL);
    printf("version starts with 'Linux version ': %s\n", yn(version && strncmp(version, "Linux version ", 14) == 0));
    free(version);
    char *cpuinfo = slurp("/proc/cpuinfo", NULL);
    printf("cpuinfo starts with processor: %s\n", yn(cpuinfo && strncmp(cpuinfo, "processor", 9) == 0));
    free(cpuinfo);
    char *mounts = slurp("/proc/mounts", NULL);
    printf("mounts has / and /proc: %s\n", yn(mounts && strstr(mounts, " / ") && strstr(mounts, " /proc proc ")));
    free(mounts);
    char *pidmax = slurp("/proc/sys/kernel/pid_max", NULL);
    printf("pid_max is a number: %s\n", yn(pidmax && atoi(pidmax) > 0));
    free(pidmax);
    snprintf(path, sizeof path, "%d", (int)pid);
    printf("/proc lists our pid: %s\n", yn(dir_has("/proc", path)));
    printf("/proc lists self: %s\n", yn(dir_has("/proc", "self")));

    /* another process: a child, then its zombie, then nothing */
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        char *st = slurp("/proc/self/stat", NULL);
        int ok = st && atoi(st) == getpid();
        int ppid = 0;
        char state;
        if (st)
            sscanf(after_comm(st), "%c %d", &state, &ppid);
        printf("child: stat pid is its own: %s, ppid is the parent: %s\n", yn(ok), yn(ppid == pid));
        fflush(stdout);
        _exit(7);
    }
    close(ready[1]);
    char c;
    read(ready[0], &c, 1);                  /* end of file: the child has exited (its descriptors are closed) */
    snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
    char cstate = '?';
    for (int tries = 0; tries < 2000 && cstate != 'Z'; tries++) {
        char *cst = slurp(path, NULL);
        if (cst)
            sscanf(after_comm(cst), "%c", &cstate);
        free(cst);
        if (cstate != 'Z')
            usleep(1000);
    }
    printf("exited child shows as a zombie: %s\n", yn(cstate == 'Z'));
    int wstatus;
    waitpid(child, &wstatus, 0);
    snprintf(path, sizeof path, "/proc/%d", (int)child);
    errno = 0;
    int r = access(path, F_OK);
    printf("reaped child's directory: %d %s\n", r, errname(errno));
    printf("child exit status %d\n", WEXITSTATUS(wstatus));
    printf("ALL OK\n");
    return 0;
}
