/* book_cow: copy-on-write after fork, for the book's chapter 2 (docs/book/memory.md).  Eight private pages at a
   fixed address (so a timeline can be filtered by it) are written by the parent, then after fork the child
   reads pages 0-2 and writes pages 3 and 4, and after the child has exited the parent writes page 5.  It prints
   what each process saw: the child's writes are its own, the parent's pages keep their values. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 8
#define PAGE 4096
#define AT ((void *)0x10000000)

int main(void)
{
    volatile char *p = mmap(AT, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != AT) {
        printf("mmap failed\n");
        return 1;
    }
    for (int i = 0; i < PAGES; i++)
        p[i * PAGE] = 'a' + i;                   /* 8 write faults: demand-zero pages */
    pid_t child = fork();
    if (child == 0) {
        int sum = p[0] + p[PAGE] + p[2 * PAGE];  /* reads: no fault, the pages are shared read-only */
        p[3 * PAGE] = 'X';                       /* writes: copy-on-write faults, each copies a frame */
        p[4 * PAGE] = 'Y';
        printf("child: read %d, page 3 is %c, page 4 is %c\n", sum, p[3 * PAGE], p[4 * PAGE]);
        return 0;
    }
    waitpid(child, NULL, 0);
    p[5 * PAGE] = 'Z';                           /* the child is gone: the frame is ours alone, no copy */
    printf("parent: page 3 is %c, page 4 is %c, page 5 is %c\n", p[3 * PAGE], p[4 * PAGE], p[5 * PAGE]);
    return 0;
}
