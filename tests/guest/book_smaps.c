/* book_smaps: copy-on-write seen in /proc/self/maps and /proc/self/smaps, for the book's chapter 2
   (docs/book/memory.md).  Four private pages at a fixed address are written, then the process forks; the child
   writes page 0, the parent page 1, and the child exits.  At each step a process prints the area's permissions
   as maps shows them and what smaps says of it (kB): the area never changes, its pages move from private to
   shared at the fork, and back to private at each write and at the child's exit.  Parent and child take turns through
   two pipes, so the output is the same at every run (and on Linux). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define AT ((char *)0x10000000)
static char text[1 << 20];

static const char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = 0;
    if (f)
        fclose(f);
    return text;
}

static long field(const char *entry, const char *name)
{
    const char *at = strstr(entry, name);
    return at ? atol(at + strlen(name)) : -1;
}

/* One line: who, when, the area's permissions as maps shows them, and four fields of its smaps entry. */
static void show(const char *who, const char *when)
{
    const char *maps = strstr(slurp("/proc/self/maps"), "10000000-");
    char perms[5] = "none";
    if (maps)
        memcpy(perms, maps + 18, 4);
    const char *e = strstr(slurp("/proc/self/smaps"), "10000000-");
    printf("%-6s %-29s %s  Rss %2ld  Pss %2ld  Shared_Dirty %2ld  Private_Dirty %2ld\n", who, when, perms,
           field(e, "\nRss:"), field(e, "\nPss:"), field(e, "\nShared_Dirty:"), field(e, "\nPrivate_Dirty:"));
    fflush(stdout);
}

/* The area's line of /proc/self/maps, without its trailing blank. */
static void show_maps(void)
{
    const char *maps = strstr(slurp("/proc/self/maps"), "10000000-");
    int n = maps ? (int)(strchr(maps, '\n') - maps) : 0;
    while (n && maps[n - 1] == ' ')
        n--;
    printf("%.*s\n", n, maps);
}

int main(void)
{
    char *p = mmap(AT, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != AT)
        return 1;
    for (int i = 0; i < 4; i++)
        p[i * PAGE] = 'a' + i;
    show_maps();
    show("parent", "wrote pages 0-3");
    int to_child[2], to_parent[2];
    char c;
    pipe(to_child);
    pipe(to_parent);
    pid_t pid = fork();
    if (pid == 0) {
        read(to_child[0], &c, 1);
        show("child", "after fork");
        p[0] = 'X';
        show("child", "wrote page 0");
        write(to_parent[1], "", 1);
        read(to_child[0], &c, 1);
        show("child", "after the parent wrote page 1");
        write(to_parent[1], "", 1);
        read(to_child[0], &c, 1);
        return 0;
    }
    show("parent", "after fork");
    write(to_child[1], "", 1);
    read(to_parent[0], &c, 1);
    p[PAGE] = 'Y';
    show("parent", "wrote page 1");
    write(to_child[1], "", 1);
    read(to_parent[0], &c, 1);
    write(to_child[1], "", 1);
    waitpid(pid, NULL, 0);
    show("parent", "after the child exited");
    return 0;
}
