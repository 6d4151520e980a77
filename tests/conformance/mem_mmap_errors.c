/* mmap/munmap/mprotect/madvise argument errors, through raw syscalls (musl's wrappers pre-check some arguments).
 * Linux ignores unknown PROT_ bits in mmap but mprotect rejects them; mprotect of length 0 succeeds. */
// reference: x86_64
// (qemu-riscv64 deviates from Linux here: it accepts unknown madvise advice and fails mprotect of length 0)
#include "conf.h"
#include <sys/mman.h>

static long rmmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    OK("mmap length 0", rmmap(NULL, 0, PROT_READ, anon, -1, 0));
    OK("mmap no type", rmmap(NULL, page, PROT_READ, MAP_ANONYMOUS, -1, 0));
    OK("mmap bad type", rmmap(NULL, page, PROT_READ, 0xf | MAP_ANONYMOUS, -1, 0));
    OK("mmap bad prot", rmmap(NULL, page, 0x100, anon, -1, 0));
    OK("mmap unaligned offset", rmmap(NULL, page, PROT_READ, MAP_PRIVATE, 0, 1));
    OK("mmap fixed unaligned", rmmap((void *)(0x10000000 + 1), page, PROT_READ, anon | MAP_FIXED, -1, 0));
    OK("mmap bad fd", rmmap(NULL, page, PROT_READ, MAP_PRIVATE, 999, 0));
    OK("mmap fd -1 without MAP_ANONYMOUS", rmmap(NULL, page, PROT_READ, MAP_PRIVATE, -1, 0));
    OK("mmap huge length", rmmap(NULL, (size_t)-page, PROT_READ, anon, -1, 0));
    OK("mmap fixed beyond user space", rmmap((void *)(1UL << 60), page, PROT_READ, anon | MAP_FIXED, -1, 0));

    SHOW("munmap unaligned", syscall(SYS_munmap, 0x10000001UL, page));
    SHOW("munmap length 0", syscall(SYS_munmap, 0x10000000UL, 0));
    SHOW("munmap beyond user space", syscall(SYS_munmap, 1UL << 60, page));

    void *p = mmap(NULL, 4 * page, PROT_READ, anon, -1, 0);
    if (p == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    SHOW("mprotect unaligned", syscall(SYS_mprotect, (char *)p + 1, page, PROT_READ));
    SHOW("mprotect bad prot", syscall(SYS_mprotect, p, page, 0x100));
    SHOW("mprotect length 0", syscall(SYS_mprotect, p, 0, PROT_READ));
    SHOW("mprotect ok", syscall(SYS_mprotect, p, 4 * page, PROT_READ | PROT_WRITE));
    munmap((char *)p + 2 * page, page);
    SHOW("mprotect over a hole", syscall(SYS_mprotect, p, 4 * page, PROT_READ));
    SHOW("mprotect unmapped", syscall(SYS_mprotect, (char *)p + 2 * page, page, PROT_READ));

    SHOW("madvise unaligned", syscall(SYS_madvise, (char *)p + 1, page, MADV_NORMAL));
    SHOW("madvise bad advice", syscall(SYS_madvise, p, page, 12345));
    SHOW("madvise over a hole", syscall(SYS_madvise, p, 4 * page, MADV_WILLNEED));
    SHOW("madvise dontneed", syscall(SYS_madvise, p, page, MADV_DONTNEED));
    return 0;
}
