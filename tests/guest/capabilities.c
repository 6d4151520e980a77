/* Capabilities: capget/capset (versions, probing, the subset rules, errors), the bounding set and ambient
 * capabilities across execve, keepcaps and the uid-change rules, file capabilities (security.capability) on
 * execve, and a process that dropped CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_KILL... from its effective set being
 * refused as on Linux.  The sets printed are the ones the program starts with (the host user's, which pynix
 * gives its first process), so the output is the same natively and under pynix for root and non-root alike;
 * the privileged part runs only as root (CI runs as root).
 * `capabilities --show` prints the credentials of the process (the exec target of the tests). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

#define V1 0x19980330
#define V2 0x20071026
#define V3 0x20080522
#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER 3
#define CAP_FSETID 4
#define CAP_KILL 5
#define CAP_SETUID 7
#define CAP_SETPCAP 8
#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_RAW 13
#define CAP_SYS_CHROOT 18
#define CAP_SYS_BOOT 22
#define CAP_SYS_NICE 23
#define CAP_SYS_TIME 25
#define CAP_MKNOD 27
#define CAP_SETFCAP 31
#define BIT(c) (1ULL << (c))

struct header { uint32_t version; int pid; };
struct data { uint32_t effective, permitted, inheritable; };
struct sets { uint64_t e, p, i; };

static void result(const char *what, long rc)
{
    printf("%s = %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? errname(errno) : "");
    errno = 0;
}

static long capget_raw(uint32_t version, int pid, struct data *d, uint32_t *version_out)
{
    struct header h = {version, pid};
    long rc = syscall(SYS_capget, &h, d);
    if (version_out)
        *version_out = h.version;
    return rc;
}

static struct sets get(void)
{
    struct data d[2] = {0};
    capget_raw(V3, 0, d, NULL);
    return (struct sets){d[0].effective | (uint64_t)d[1].effective << 32,
                         d[0].permitted | (uint64_t)d[1].permitted << 32,
                         d[0].inheritable | (uint64_t)d[1].inheritable << 32};
}

static long set(uint64_t e, uint64_t p, uint64_t i)
{
    struct header h = {V3, 0};
    struct data d[2] = {{(uint32_t)e, (uint32_t)p, (uint32_t)i}, {e >> 32, p >> 32, i >> 32}};
    return syscall(SYS_capset, &h, d);
}

/* The sets relative to the ones the program started with (`full`), so the output does not depend on them. */
static uint64_t full;

static const char *relative(uint64_t set, char *buf)
{
    if (set == full)
        return "full";
    if ((set & full) == set && __builtin_popcountll(full & ~set) <= 4) {     /* full minus a few */
        int n = sprintf(buf, "full");
        for (int c = 0; c < 64; c++)
            if (full & ~set & BIT(c))
                n += sprintf(buf + n, "-%d", c);
        return buf;
    }
    sprintf(buf, "%llx", (unsigned long long)set);
    return buf;
}

static void sets(const char *when)
{
    struct sets s = get();
    char e[64], p[64];
    printf("%s: eff %s prm %s inh %llx\n", when, relative(s.e, e), relative(s.p, p), (unsigned long long)s.i);
}

static void status_line(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            fputs(line, stdout);
    if (f)
        fclose(f);
}

static int show(void)
{
    status_line("Uid:");
    status_line("Cap");
    status_line("NoNewPrivs:");
    printf("AT_SECURE %lu keepcaps %d securebits %#x\n", getauxval(AT_SECURE), prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0),
           prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    return 0;
}

static const char *self;

static void run_show(const char *path)
{
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        execl(path, path, "--show", (char *)NULL);
        printf("execve: %s\n", errname(errno));
        _exit(1);
    }
    int status;
    waitpid(child, &status, 0);
}

static void versions(void)
{
    struct data d[2];
    uint32_t v;
    result("capget probe (version 0, NULL data)", capget_raw(0, 0, NULL, &v));
    printf("  header version now %#x\n", v);
    result("capget version 0 with data", capget_raw(0, 0, d, &v));
    printf("  header version now %#x\n", v);
    result("capget V3 NULL data", capget_raw(V3, 0, NULL, NULL));
    result("capget V1", capget_raw(V1, 0, d, NULL));
    printf("  V1 eff %s\n", d[0].effective == (uint32_t)full ? "low word of full" : "other");
    memset(d, 0, sizeof d);
    result("capget V2", capget_raw(V2, 0, d, NULL));
    result("capget V3 pid -1", capget_raw(V3, -1, d, NULL));
    result("capget V3 pid 999999", capget_raw(V3, 999999, d, NULL));
    result("capget V3 own pid", capget_raw(V3, getpid(), d, NULL));
    result("capget V3 bad pointer", syscall(SYS_capget, &(struct header){V3, 0}, (void *)8));
    struct header h = {0x12345678, 0};
    result("capset bad version", syscall(SYS_capset, &h, d));
    printf("  header version now %#x\n", h.version);
    h = (struct header){V3, getppid()};
    result("capset of the parent", syscall(SYS_capset, &h, d));
}

static void capset_rules(void)
{
    uint64_t f = full;
    sets("start");
    result("capset eff - CAP_CHOWN", set(f & ~BIT(CAP_CHOWN), f, 0));
    sets("after");
    int fd = open("capfile.tmp", O_CREAT | O_WRONLY, 0644);
    close(fd);
    result("  chown", chown("capfile.tmp", 1234, 1234));
    result("capset eff back", set(f, f, 0));
    result("  chown", chown("capfile.tmp", 1234, 1234));
    result("capset eff beyond prm", set(f, f & ~BIT(CAP_KILL), 0));
    result("capset prm - CAP_KILL", set(f & ~BIT(CAP_KILL), f & ~BIT(CAP_KILL), 0));
    result("capset prm + CAP_KILL again", set(f & ~BIT(CAP_KILL), f, 0));
    result("capset inh + CAP_KILL (not permitted, CAP_SETPCAP)", set(f & ~BIT(CAP_KILL), f & ~BIT(CAP_KILL),
                                                                     BIT(CAP_KILL)));
    result("capset inh - CAP_KILL", set(f & ~BIT(CAP_KILL), f & ~BIT(CAP_KILL), 0));
    uint64_t p = f & ~BIT(CAP_KILL) & ~BIT(CAP_SETPCAP);
    result("capset eff/prm - CAP_SETPCAP", set(p, p, 0));
    result("capset inh + CAP_KILL without CAP_SETPCAP", set(p, p, BIT(CAP_KILL)));
    result("capset inh + CAP_CHOWN (permitted)", set(p, p, BIT(CAP_CHOWN)));
    result("capset high bits ignored", set(p | BIT(60), p | BIT(63), BIT(CAP_CHOWN)));
    sets("end");
    unlink("capfile.tmp");
}

static void bounding(void)
{
    result("PR_CAPBSET_READ 41", prctl(PR_CAPBSET_READ, 41, 0, 0, 0));
    result("PR_CAPBSET_DROP CAP_NET_RAW", prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0));
    result("PR_CAPBSET_READ CAP_NET_RAW", prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0));
    sets("still held");
    result("capset inh + CAP_NET_RAW (left the bounding set)", set(full, full, BIT(CAP_NET_RAW)));
    printf("exec as root after the drop:\n");
    run_show(self);
    result("capset eff - CAP_SETPCAP", set(full & ~BIT(CAP_SETPCAP), full, 0));
    result("PR_CAPBSET_DROP without CAP_SETPCAP", prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
}

static void ambient(void)
{
    result("RAISE CAP_NET_BIND_SERVICE (not inheritable)",
           prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    result("capset inh + CAP_NET_BIND_SERVICE", set(full, full, BIT(CAP_NET_BIND_SERVICE)));
    result("RAISE CAP_NET_BIND_SERVICE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    result("IS_SET CAP_NET_BIND_SERVICE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    result("IS_SET 41", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 41, 0, 0));
    result("RAISE arg4", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 1, 0));
    result("capset inh - it: ambient goes", set(full, full, 0));
    result("IS_SET CAP_NET_BIND_SERVICE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    result("capset inh + it again", set(full, full, BIT(CAP_NET_BIND_SERVICE)));
    result("RAISE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    result("LOWER", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_BIND_SERVICE, 0, 0));
    result("IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    result("RAISE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    result("CLEAR_ALL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    result("IS_SET", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
    /* the classic use: keep capabilities over a change to a non-root user and pass one on through exec */
    result("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    result("setresuid(1000)", setresuid(1000, 1000, 1000));
    sets("after setresuid with keepcaps");
    result("capset inh + CAP_NET_BIND_SERVICE", set(0, full, BIT(CAP_NET_BIND_SERVICE)));
    result("RAISE", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
    printf("exec as uid 1000 with an ambient capability:\n");
    run_show(self);
}

static void uid_changes(void)
{
    result("seteuid(1000)", seteuid(1000));
    sets("euid 1000");
    result("seteuid(0)", seteuid(0));
    sets("euid 0 again");
    int fd = open("capfile.tmp", O_CREAT | O_WRONLY, 0644);
    close(fd);
    result("setfsuid(1000) (old)", setfsuid(1000));
    sets("fsuid 1000");
    result("  chown as fsuid 1000", chown("capfile.tmp", 1234, 1234));
    result("  create as fsuid 1000 in root's 0755 directory", open("capfile2.tmp", O_CREAT | O_WRONLY, 0644));
    result("setfsuid(0) (old)", setfsuid(0));
    sets("fsuid 0");
    unlink("capfile.tmp");
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {                                /* without keepcaps everything goes */
        int pdeath = -1;
        prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
        result("setresuid(1000, 1000, 0)", setresuid(1000, 1000, 0));
        prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
        printf("parent-death signal after the uid change: %d\n", pdeath);
        sets("saved uid still 0");
        result("setresuid(-1, 0, -1)", setresuid(-1, 0, -1));
        sets("euid back to 0");
        result("setresuid(1000, 1000, 1000)", setresuid(1000, 1000, 1000));
        sets("all ids 1000");
        result("setuid(0)", setuid(0));
        result("capset prm + CAP_KILL", set(0, BIT(CAP_KILL), 0));
        printf("exec as uid 1000:\n");
        run_show(self);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    child = fork();
    if (child == 0) {                                /* keepcaps: permitted stays, effective goes */
        result("PR_SET_SECUREBITS KEEP_CAPS|LOCKED", prctl(PR_SET_SECUREBITS, 0x30, 0, 0, 0));
        result("PR_SET_KEEPCAPS 0 (locked)", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
        result("setuid(1000)", setuid(1000));
        sets("after setuid with keepcaps");
        result("capset eff + CAP_KILL", set(BIT(CAP_KILL), full, 0));
        sets("after capset");
        printf("exec (keepcaps does not survive it, the bits do):\n");
        run_show(self);
        _exit(0);
    }
    waitpid(child, NULL, 0);
}

static void drop(int cap)
{
    struct sets s = get();
    set(s.e & ~BIT(cap), s.p, s.i);
}

static void raise_(int cap)
{
    struct sets s = get();
    set(s.e | BIT(cap), s.p, s.i);
}

static void refused(void)
{
    int fd = open("capfile.tmp", O_CREAT | O_WRONLY, 0600);
    close(fd);
    result("chown to 1234", chown("capfile.tmp", 1234, 1234));
    drop(CAP_DAC_OVERRIDE);
    result("open 0600 file of 1234 without CAP_DAC_OVERRIDE (O_RDONLY)", fd = open("capfile.tmp", O_RDONLY));
    if (fd >= 0)
        close(fd);
    drop(CAP_DAC_READ_SEARCH);
    result("... and without CAP_DAC_READ_SEARCH (O_RDONLY)", fd = open("capfile.tmp", O_RDONLY));
    result("access(W_OK) checks the real uid's full sets", access("capfile.tmp", W_OK));
    result("faccessat(W_OK, AT_EACCESS)", faccessat(AT_FDCWD, "capfile.tmp", W_OK, AT_EACCESS));
    raise_(CAP_DAC_OVERRIDE);
    raise_(CAP_DAC_READ_SEARCH);
    drop(CAP_FOWNER);
    result("chmod of 1234's file without CAP_FOWNER", chmod("capfile.tmp", 0644));
    raise_(CAP_FOWNER);
    result("chmod with CAP_FOWNER", chmod("capfile.tmp", 0644));
    drop(CAP_CHOWN);
    result("chown back without CAP_CHOWN", chown("capfile.tmp", 0, 0));
    raise_(CAP_CHOWN);
    result("chown back with CAP_CHOWN", chown("capfile.tmp", 0, 0));
    unlink("capfile.tmp");
    drop(CAP_MKNOD);
    result("mknod a char device without CAP_MKNOD", mknod("capdev.tmp", S_IFCHR | 0600, makedev(1, 3)));
    raise_(CAP_MKNOD);
    drop(CAP_SYS_CHROOT);
    result("chroot without CAP_SYS_CHROOT", chroot("/"));
    raise_(CAP_SYS_CHROOT);
    drop(CAP_SYS_NICE);
    result("setpriority(-5) without CAP_SYS_NICE", setpriority(PRIO_PROCESS, 0, -5));
    raise_(CAP_SYS_NICE);
    drop(CAP_SYS_TIME);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    result("clock_settime without CAP_SYS_TIME", clock_settime(CLOCK_REALTIME, &now));
    raise_(CAP_SYS_TIME);
    int sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(1019), .sin_addr = {htonl(0x7f000001)}};
    drop(CAP_NET_BIND_SERVICE);
    result("bind port 1019 without CAP_NET_BIND_SERVICE", bind(sock, (struct sockaddr *)&addr, sizeof addr));
    raise_(CAP_NET_BIND_SERVICE);
    result("bind port 1019 with it", bind(sock, (struct sockaddr *)&addr, sizeof addr));
    close(sock);
    fflush(stdout);
    int ready[2];
    pipe(ready);
    pid_t victim = fork();
    if (victim == 0) {
        setresuid(1234, 1234, 1234);
        write(ready[1], "x", 1);
        pause();
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    drop(CAP_KILL);
    result("kill(uid 1234's process, 0) without CAP_KILL", kill(victim, 0));
    raise_(CAP_KILL);
    result("kill(uid 1234's process, 0) with CAP_KILL", kill(victim, 0));
    drop(CAP_SYS_NICE);
    result("setpriority(uid 1234's process, 5) without CAP_SYS_NICE", setpriority(PRIO_PROCESS, victim, 5));
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    result("sched_setaffinity(uid 1234's process) without CAP_SYS_NICE", sched_setaffinity(victim, sizeof one, &one));
    raise_(CAP_SYS_NICE);
    result("setpriority(uid 1234's process, 5) with CAP_SYS_NICE", setpriority(PRIO_PROCESS, victim, 5));
    kill(victim, SIGKILL);
    waitpid(victim, NULL, 0);
    drop(CAP_SETUID);
    result("setuid(1234) without CAP_SETUID", setuid(1234));
    sets("end");
}

/* A copy of this program with security.capability set: cap_net_bind_service+ep (v2, or v3 for root id 0). */
static void file_caps(void)
{
    char path[] = "capexeXXXXXX";
    int out = mkstemp(path), in = open("/proc/self/exe", O_RDONLY);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in);
    fchmod(out, 0755);
    close(out);
    uint32_t v1[3] = {0x01000001, BIT(CAP_NET_BIND_SERVICE), 0};
    uint32_t v2[5] = {0x02000001, BIT(CAP_NET_BIND_SERVICE), 0, 0, 0};
    uint32_t v3[6] = {0x03000001, BIT(CAP_NET_BIND_SERVICE), 0, 0, 0, 0};
    result("setxattr v1", setxattr(path, "security.capability", v1, sizeof v1, 0));
    result("setxattr v2 short", setxattr(path, "security.capability", v2, 16, 0));
    result("setxattr v3", setxattr(path, "security.capability", v3, sizeof v3, 0));
    uint32_t got[8] = {0};
    long len = getxattr(path, "security.capability", got, sizeof got);
    result("getxattr", len);
    printf("  magic %#x permitted %#x\n", got[0], got[1]);
    result("setxattr v2", setxattr(path, "security.capability", v2, sizeof v2, 0));
    printf("exec as root:\n");
    run_show(path);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        setresuid(1000, 1000, 1000);
        printf("exec as uid 1000:\n");
        run_show(path);
        result("setxattr as uid 1000", setxattr(path, "security.capability", v2, sizeof v2, 0));
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        printf("exec as uid 1000 with no_new_privs:\n");
        run_show(path);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    child = fork();
    if (child == 0) {
        prctl(PR_CAPBSET_DROP, CAP_NET_BIND_SERVICE, 0, 0, 0);
        setresuid(1000, 1000, 1000);
        printf("exec after CAP_NET_BIND_SERVICE left the bounding set:\n");
        run_show(path);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    struct stat sb;
    chmod(path, 04755);
    int fd = open(path, O_WRONLY | O_APPEND);
    result("write by root", write(fd, "", 1));
    stat(path, &sb);
    printf("  mode %o\n", (unsigned)sb.st_mode & 07777);
    result("  getxattr after the write", getxattr(path, "security.capability", got, sizeof got));
    drop(CAP_FSETID);
    result("write without CAP_FSETID", write(fd, "", 1));
    stat(path, &sb);
    printf("  mode %o\n", (unsigned)sb.st_mode & 07777);
    raise_(CAP_FSETID);
    close(fd);
    result("setxattr v2", setxattr(path, "security.capability", v2, sizeof v2, 0));
    drop(CAP_SETFCAP);
    result("removexattr without CAP_SETFCAP", removexattr(path, "security.capability"));
    raise_(CAP_SETFCAP);
    result("chown", chown(path, 1, 1));
    result("getxattr after chown", getxattr(path, "security.capability", got, sizeof got));
    unlink(path);
}

static void section(const char *name, void (*fn)(void))
{
    printf("== %s\n", name);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "--show") == 0)
        return show();
    self = "/proc/self/exe";
    full = get().p;
    char dir[] = "/tmp/capsXXXXXX";
    if (!mkdtemp(dir) || chmod(dir, 0755) || chdir(dir))
        return 1;
    section("versions", versions);
    if (getuid() != 0) {
        sets("not root");
        rmdir(dir);
        return 0;
    }
    section("capset", capset_rules);
    section("bounding set", bounding);
    section("ambient", ambient);
    section("uid changes", uid_changes);
    section("refused", refused);
    section("file capabilities", file_caps);
    chdir("/");
    rmdir(dir);
    return 0;
}
