/* mmap_shared: MAP_SHARED file mappings (stores seen by other processes and by read(), write() seen by the
   mapping, msync/munmap write-back), MAP_PRIVATE copy-on-write from the file, SIGBUS past the end of the file,
   EACCES rules, /proc/self/maps offsets and inode numbers, mincore of a file mapping. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static long page;
static char path[64];

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "OK" : "FAIL", what);
}

static void file_says(const char *what, off_t offset, size_t n)
{
    /* What a fresh open + read sees: the file itself, not any mapping of this process. */
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    ssize_t got = pread(fd, buf, n, offset);
    close(fd);
    printf("%s: %zd [%.*s]\n", what, got, (int)(got > 0 ? got : 0), buf);
}

/* Touch `p` in a child; report how the child ended (a signal number, or the byte it read). */
static void probe(const char *what, volatile char *p, int write)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (write)
            *p = 'w';
        _exit((unsigned char)*p);
    }
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: exit %d\n", what, WEXITSTATUS(status));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    page = sysconf(_SC_PAGESIZE);
    strcpy(path, "/tmp/pynix-mmap-XXXXXX");
    int fd = mkstemp(path);
    size_t size = 3 * page + 100;
    char *init = malloc(size);
    for (size_t i = 0; i < size; i++)
        init[i] = 'a' + i % 26;
    check(write(fd, init, size) == (ssize_t)size, "write initial contents");

    /* --- one process: a shared mapping and read()/write() on the same file --------------------------------- */
    char *s = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    check(s != MAP_FAILED, "mmap MAP_SHARED read-write");
    check(memcmp(s, init, size) == 0, "mapping shows the file");
    check(s[size] == 0 && s[4 * page - 1] == 0, "tail of the last page reads as zeros");
    memcpy(s + 10, "STORE", 5);
    char buf[16] = {0};
    pread(fd, buf, 5, 10);
    printf("read() after a store: [%s]\n", buf);
    pwrite(fd, "WRITE", 5, page + 7);
    printf("mapping after write(): [%.5s]\n", s + page + 7);

    /* --- fork: the child's stores through the inherited mapping reach the parent --------------------------- */
    pid_t pid = fork();
    if (pid == 0) {
        memcpy(s + 2 * page, "CHILD", 5);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent sees the child's store: [%.5s]\n", s + 2 * page);

    /* --- an unrelated mapping of the same file (separate open) in another process -------------------------- */
    pid = fork();
    if (pid == 0) {
        int fd2 = open(path, O_RDWR);
        char *t = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, page);
        printf("child's own mapping sees the parent's write(): [%.5s]\n", t + 7);
        memcpy(t + 20, "OTHER", 5);
        munmap(t, page);
        close(fd2);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent sees the other mapping's store: [%.5s]\n", s + page + 20);

    /* --- write-back: msync, then what a fresh open + read sees ---------------------------------------------- */
    memcpy(s + 3 * page + 50, "SYNCED", 6);
    check(msync(s, 4 * page, MS_SYNC) == 0, "msync(MS_SYNC)");
    file_says("file after msync", 3 * page + 50, 6);
    file_says("file at the child's store", 2 * page, 5);

    /* --- private mappings: copy-on-write from the file, never written back -------------------------------- */
    char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    check(p != MAP_FAILED, "mmap MAP_PRIVATE");
    printf("private mapping shows the shared store: [%.5s]\n", p + 10);
    memcpy(p + 10, "PRIVT", 5);
    printf("after a private store: private [%.5s] shared [%.5s]\n", p + 10, s + 10);
    msync(p, 2 * page, MS_SYNC);
    file_says("file after the private store", 10, 5);
    memcpy(s + page + 40, "LATER", 5);
    printf("untouched private page sees a later shared store: [%.5s]\n", p + page + 40);
    check(madvise(p, page, MADV_DONTNEED) == 0, "madvise(MADV_DONTNEED) on the private mapping");
    printf("private page after MADV_DONTNEED: [%.5s]\n", p + 10);
    munmap(p, 2 * page);

    /* --- munmap writes back -------------------------------------------------------------------------------- */
    memcpy(s + 100, "UNMAP", 5);
    munmap(s, 4 * page);
    file_says("file after munmap", 100, 5);

    /* --- the end of the file: SIGBUS beyond its last page -------------------------------------------------- */
    s = mmap(NULL, 6 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    probe("read in the last page, past the end", s + 3 * page + 200, 0);
    probe("read one page past the end", s + 4 * page, 0);
    probe("write two pages past the end", s + 5 * page + 8, 1);
    check(ftruncate(fd, page + 10) == 0, "ftruncate to one page and 10 bytes");
    probe("read a page cut off by ftruncate", s + 2 * page, 0);
    printf("zeroed after the new end: %d\n", s[page + 10]);
    check(ftruncate(fd, 5 * page) == 0, "ftruncate to five pages");
    probe("read a page the file grew over", s + 4 * page, 0);
    s[4 * page] = 'G';
    file_says("file after a store in the grown part", 4 * page, 1);

    /* --- /proc/self/maps: offset and inode number of a file mapping ---------------------------------------- */
    char *m = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 2 * page);
    struct stat st;
    fstat(fd, &st);
    char want[64], line[512];
    snprintf(want, sizeof want, "%lx-", (unsigned long)m);
    FILE *maps = fopen("/proc/self/maps", "r");
    int found = 0;
    while (fgets(line, sizeof line, maps)) {
        if (strncmp(line, want, strlen(want)) == 0) {
            char perms[8];
            unsigned long offset, inode;
            sscanf(line, "%*lx-%*lx %7s %lx %*x:%*x %lu", perms, &offset, &inode);
            printf("maps: %s offset=%lx inode-matches=%d name-matches=%d\n", perms, offset,
                   inode == (unsigned long)st.st_ino, strstr(line, path) != NULL);
            found = 1;
        }
    }
    fclose(maps);
    check(found, "the mapping is in /proc/self/maps");

    /* --- mincore of a file mapping whose pages were touched -------------------------------------------- */
    volatile char sink = 0;
    for (int i = 0; i < 5; i++)
        sink += s[i * page];
    unsigned char vec[6];
    check(mincore(s, 5 * page, vec) == 0, "mincore of the file mapping");
    printf("resident:");
    for (int i = 0; i < 5; i++)
        printf(" %d", vec[i] & 1);
    printf("\n");
    munmap(m, page);
    munmap(s, 6 * page);
    close(fd);

    /* --- permissions ------------------------------------------------------------------------------------- */
    fd = open(path, O_RDONLY);
    errno = 0;
    void *r = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("MAP_SHARED PROT_WRITE of an O_RDONLY file: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    r = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("MAP_PRIVATE PROT_WRITE of an O_RDONLY file: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    r = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
    printf("MAP_SHARED PROT_READ of an O_RDONLY file: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    errno = 0;
    check(mprotect(r, page, PROT_READ | PROT_WRITE) == -1, "mprotect cannot add PROT_WRITE to it");
    printf("  errno %s\n", errname(errno));
    close(fd);
    fd = open(path, O_WRONLY);
    r = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
    printf("MAP_SHARED of an O_WRONLY file: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    close(fd);
    fd = open(path, O_RDWR | O_APPEND);
    r = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("MAP_SHARED PROT_WRITE of an O_APPEND file: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    close(fd);
    unlink(path);
    return 0;
}
