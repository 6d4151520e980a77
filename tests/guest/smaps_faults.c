/* smaps_faults: /proc/self/smaps, smaps_rollup and the page-fault counters (getrusage, /proc/self/stat, wait4)
   as a process sees them while it maps, touches and forks.  Everything printed is the same on Linux and under
   pynix; where the two kernels take different numbers of faults for the same work, a relation is printed:
   - a file mapping read page by page: Linux maps up to 16 cached neighbours with each fault (fault-around),
     pynix one page a fault;
   - an anonymous page read, then written: Linux maps the shared zero page at the read and faults again at the
     write, pynix gives the page its frame at the read;
   and only fields that do not depend on that are shown (Linux does not count a zero-page mapping in Rss).
   /proc files are read with read(2) into a buffer touched beforehand, so reading them faults nothing. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define AT(n) ((void *)(0x10000000UL + (n) * 0x100000UL))   /* areas apart: none merges with another */
static char text[1 << 20];                        /* /proc file contents; touched in main before any reading */

static void slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    size_t n = 0;
    ssize_t got;
    while (fd >= 0 && (got = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += got;
    text[n] = 0;
    if (fd >= 0)
        close(fd);
}

/* The smaps entry of the area starting at `addr`, or NULL. */
static char *entry(const void *addr)
{
    char want[32];
    snprintf(want, sizeof want, "\n%lx-", (unsigned long)addr);
    if (strncmp(text, want + 1, strlen(want + 1)) == 0)
        return text;
    char *at = strstr(text, want);
    return at ? at + 1 : NULL;
}

/* Field `name` (kB) of the entry whose header line starts at `e` (up to its VmFlags line), or of every
   entry when `e` is the whole text and `all` is set (their sum); -1 if there is none. */
static long field_of(const char *e, const char *name, int all)
{
    size_t len = strlen(name);
    long sum = -1;
    for (const char *l = strchr(e, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        if (!all && strncmp(l + 1, "VmFlags:", 8) == 0)
            break;
        if (strncmp(l + 1, name, len) == 0 && l[1 + len] == ':') {
            sum = (sum < 0 ? 0 : sum) + atol(l + 2 + len);
            if (!all)
                break;
        }
    }
    return sum;
}

static long field(const char *e, const char *name) { return field_of(e, name, 0); }

static void show(const char *what, const void *addr)
{
    slurp("/proc/self/smaps");
    const char *e = entry(addr);
    if (!e) {
        printf("%s: no smaps entry\n", what);
        return;
    }
    printf("%s: Rss %ld Pss %ld Pss_Dirty %ld Shared_Clean %ld Shared_Dirty %ld Private_Clean %ld "
           "Private_Dirty %ld Anonymous %ld Swap %ld Locked %ld\n", what, field(e, "Rss"), field(e, "Pss"),
           field(e, "Pss_Dirty"), field(e, "Shared_Clean"), field(e, "Shared_Dirty"), field(e, "Private_Clean"),
           field(e, "Private_Dirty"), field(e, "Anonymous"), field(e, "Swap"), field(e, "Locked"));
}

static void flags(const char *what, const void *addr)
{
    slurp("/proc/self/smaps");
    const char *e = entry(addr);
    const char *f = e ? strstr(e, "VmFlags:") : NULL;
    printf("%s: %.*s\n", what, f ? (int)(strchr(f, '\n') - f) : 4, f ? f : "none");
}

static long minflt(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_minflt;
}

/* Fields 10-13 of /proc/self/stat: minflt cminflt majflt cmajflt. */
static void stat_faults(long v[4])
{
    slurp("/proc/self/stat");
    char *p = strrchr(text, ')') + 2;
    for (int i = 3; i < 10; i++)                  /* skip fields 3 (state) to 9 (flags) */
        p = strchr(p, ' ') + 1;
    for (int i = 0; i < 4; i++)
        v[i] = strtol(p, &p, 10);
}

int main(void)
{
    memset(text, 1, sizeof text);
    struct rusage r[2];
    memset(r, 0, sizeof r);
    minflt();

    /* The labels of an smaps entry, in order (ProtectionKey, a line of x86 machines with memory keys, left
       out), and those of smaps_rollup's. */
    char *a = mmap(AT(0), 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    slurp("/proc/self/smaps");
    printf("smaps labels:");
    for (char *l = strchr(entry(a), '\n') + 1; *l && !strchr("0123456789abcdef", *l); l = strchr(l, '\n') + 1)
        if (strncmp(l, "ProtectionKey:", 14))
            printf(" %.*s", (int)(strchr(l, ':') - l), l);
    printf("\n");
    slurp("/proc/self/smaps_rollup");
    printf("rollup: %s\nrollup labels:", strstr(text, "[rollup]\n") ? "[rollup]" : "no [rollup] line");
    for (char *l = strchr(text, '\n') + 1; *l; l = strchr(l, '\n') + 1)
        printf(" %.*s", (int)(strchr(l, ':') - l), l);
    printf("\n");

    /* Demand paging: eight writes, eight minor faults, eight private dirty pages. */
    show("fresh anonymous", a);
    getrusage(RUSAGE_SELF, &r[0]);
    for (int i = 0; i < 8; i++)
        a[i * PAGE] = 'a' + i;
    getrusage(RUSAGE_SELF, &r[1]);
    printf("writing 8 fresh pages: %ld minor faults, %ld major\n", r[1].ru_minflt - r[0].ru_minflt,
           r[1].ru_majflt - r[0].ru_majflt);
    show("written", a);
    struct rusage t;
    memset(&t, 0, sizeof t);
    getrusage(RUSAGE_THREAD, &t);
    getrusage(RUSAGE_SELF, &r[0]);
    printf("RUSAGE_THREAD = RUSAGE_SELF of a single thread: %s\n", t.ru_minflt == r[0].ru_minflt ? "yes" : "no");
    long st[4];
    long before = minflt();
    stat_faults(st);
    long after = minflt();
    printf("/proc/self/stat minflt between two getrusage readings: %s, majflt %s\n",
           before <= st[0] && st[0] <= after ? "yes" : "no", st[2] >= 0 ? "counted" : "missing");

    /* Read first, then write. */
    char *b = mmap(AT(1), 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    volatile char sink = 0;
    getrusage(RUSAGE_SELF, &r[0]);
    for (int i = 0; i < 8; i++)
        sink += b[i * PAGE];
    getrusage(RUSAGE_SELF, &r[1]);
    printf("reading 8 fresh pages: %ld minor faults\n", r[1].ru_minflt - r[0].ru_minflt);
    getrusage(RUSAGE_SELF, &r[0]);
    for (int i = 0; i < 8; i++)
        b[i * PAGE] = 'b';
    getrusage(RUSAGE_SELF, &r[1]);
    long n = r[1].ru_minflt - r[0].ru_minflt;
    printf("then writing them: 0 <= faults <= 8: %s\n", 0 <= n && n <= 8 ? "yes" : "no");
    show("read, then written", b);

    /* A file mapping, read page by page (fault-around), and its pages in smaps. */
    char path[] = "/tmp/smaps_faults_XXXXXX";
    int fd = mkstemp(path);
    char page[PAGE];
    memset(page, 'f', sizeof page);
    for (int i = 0; i < 16; i++)
        write(fd, page, sizeof page);
    char *f = mmap(AT(2), 16 * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    getrusage(RUSAGE_SELF, &r[0]);
    for (int i = 0; i < 16; i++)
        sink += f[i * PAGE];
    getrusage(RUSAGE_SELF, &r[1]);
    n = r[1].ru_minflt - r[0].ru_minflt;
    printf("reading 16 file pages: 1 <= faults <= 16: %s, major %ld\n", 1 <= n && n <= 16 ? "yes" : "no",
           r[1].ru_majflt - r[0].ru_majflt);
    slurp("/proc/self/smaps");
    printf("file mapping: Rss %ld Anonymous %ld\n", field(entry(f), "Rss"), field(entry(f), "Anonymous"));
    unlink(path);

    /* The flags of a few kinds of area. */
    flags("private anonymous", a);
    mprotect(b, 8 * PAGE, PROT_READ);
    flags("private anonymous made read-only", b);
    char *none = mmap(AT(3), PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    flags("PROT_NONE", none);
    char *sh = mmap(AT(4), 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    flags("shared anonymous", sh);
    flags("private file, read-only", f);
    int rofd = open("/proc/self/exe", O_RDONLY);
    char *ro = mmap(AT(5), PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, rofd, 0);
    flags("shared file open read-only", ro);
    close(rofd);
    mlock(a, PAGE);
    show("first page locked", a);
    munlock(a, PAGE);

    /* smaps_rollup is the sum of smaps (in whole pages: Pss, divided among sharers, is rounded per area). */
    slurp("/proc/self/smaps");
    static const char *names[] = {"Rss", "Shared_Clean", "Shared_Dirty", "Private_Clean", "Private_Dirty",
                                  "Anonymous"};
    long sums[6];
    for (int i = 0; i < 6; i++)
        sums[i] = field_of(text, names[i], 1);
    slurp("/proc/self/smaps_rollup");
    printf("rollup = sum of smaps:");
    for (int i = 0; i < 6; i++)
        printf(" %s %s", names[i], field(text, names[i]) == sums[i] ? "yes" : "no");
    printf("\n");

    /* Copy-on-write across fork: shared dirty in both, private again where one has written. */
    int p2c[2], c2p[2];
    pipe(p2c);
    pipe(c2p);
    char c = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rusage cr[2];
        show("child after fork", a);
        memset(cr, 0, sizeof cr);                 /* the stack is copy-on-write too: */
        sink = 0;                                 /* its copies are made before the count */
        getrusage(RUSAGE_SELF, &cr[0]);
        sink += a[5 * PAGE] + a[6 * PAGE];
        a[0] = 'X';
        a[PAGE] = 'Y';
        getrusage(RUSAGE_SELF, &cr[1]);
        printf("child: reading 2 pages and writing 2: %ld minor faults\n", cr[1].ru_minflt - cr[0].ru_minflt);
        show("child after writing pages 0 and 1", a);
        fflush(stdout);
        write(c2p[1], "w", 1);
        read(p2c[0], &c, 1);
        _exit(0);
    }
    read(c2p[0], &c, 1);
    show("parent while the child holds its copies", a);
    write(p2c[1], "x", 1);
    struct rusage w, ch;
    int status;
    wait4(pid, &status, 0, &w);
    show("parent after the child exited", a);
    memset(r, 0, sizeof r);
    getrusage(RUSAGE_SELF, &r[0]);
    a[3 * PAGE] = 'Z';
    getrusage(RUSAGE_SELF, &r[1]);
    printf("parent writing a page only it maps now: %ld minor fault\n", r[1].ru_minflt - r[0].ru_minflt);
    show("parent after writing page 3", a);
    printf("pages: %c %c %c %c\n", a[0], a[PAGE], a[2 * PAGE], a[3 * PAGE]);
    getrusage(RUSAGE_CHILDREN, &ch);
    stat_faults(st);
    printf("children: wait4's ru_minflt = RUSAGE_CHILDREN's: %s, > 2: %s, = stat's cminflt: %s, cmajflt %s\n",
           w.ru_minflt == ch.ru_minflt ? "yes" : "no", ch.ru_minflt > 2 ? "yes" : "no",
           st[1] == ch.ru_minflt ? "yes" : "no", st[3] == ch.ru_majflt ? "= RUSAGE_CHILDREN's" : "differs");
    return 0;
}
