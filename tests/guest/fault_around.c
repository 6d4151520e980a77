/* fault_around: how many page faults reading a file mapping takes.  A 32-page file, written (so its pages are
   in the page cache), is mapped read-only at an address aligned to 64 KiB and read a byte a page.  Linux maps
   up to 16 cached pages around each read fault (do_fault_around, fault_around_bytes = 64 KiB): 2 faults; a
   kernel that maps one page a fault takes 32.  The book's exercise 2.1 (docs/book/memory.md). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES 32
#define AT ((char *)0x10000000)

int main(void)
{
    char path[] = "/tmp/fault_around_XXXXXX";
    int fd = mkstemp(path);
    static char page[PAGE];
    memset(page, 'f', sizeof page);
    for (int i = 0; i < PAGES; i++)
        write(fd, page, sizeof page);
    volatile char *p = mmap(AT, PAGES * PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
    unlink(path);
    if (p != AT)
        return 1;
    struct rusage r[2];
    memset(r, 0, sizeof r);
    int sum = 0;
    getrusage(RUSAGE_SELF, &r[0]);
    for (int i = 0; i < PAGES; i++)
        sum += p[i * PAGE];
    getrusage(RUSAGE_SELF, &r[1]);
    printf("read %d bytes of %d pages: %ld page faults\n", sum / 'f', PAGES, r[1].ru_minflt - r[0].ru_minflt);
    return 0;
}
