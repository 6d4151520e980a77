/* brk: grow and shrink the program break with the raw syscall (musl's sbrk refuses non-zero increments),
   check that data survives and that re-grown memory is zero.  Results are collected first and printed at the
   end, because stdio may allocate through brk itself. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char results[64][100];
static int nresults = 0, failures = 0;

static void check(int ok, const char *what)
{
    snprintf(results[nresults++], sizeof results[0], "%s %s", ok ? "OK" : "FAIL", what);
    failures += !ok;
}

static uintptr_t brk_(uintptr_t addr)
{
    return (uintptr_t)syscall(SYS_brk, addr);
}

int main(void)
{
    const size_t K = 1024, M = 1024 * 1024;
    uintptr_t start = brk_(0);
    check(start != 0 && start != (uintptr_t)-1, "brk(0) returns the current break");
    check(brk_(0) == start, "brk(0) is stable");

    uintptr_t b1 = brk_(start + 64 * K);
    check(b1 == start + 64 * K, "grow by 64 KiB");
    unsigned char *base = (unsigned char *)start;
    int zero = 1;
    for (size_t i = 0; i < 64 * K; i++)
        zero &= base[i] == 0;
    check(zero, "new heap memory is zero");
    for (size_t i = 0; i < 64 * K; i++)
        base[i] = (unsigned char)(i ^ (i >> 9));

    uintptr_t b2 = brk_(start + 8 * M + 123);
    check(b2 == start + 8 * M + 123, "grow to an unaligned break 8 MiB + 123 above the start");
    check(brk_(0) == b2, "brk(0) reports the unaligned break exactly");
    for (size_t i = 64 * K; i < 8 * M; i += 4096)
        base[i] = 0x5a;
    base[8 * M + 122] = 0x77;
    int kept = 1;
    for (size_t i = 0; i < 64 * K; i++)
        kept &= base[i] == (unsigned char)(i ^ (i >> 9));
    check(kept, "data below survives growth");

    uintptr_t b3 = brk_(start + 32 * K);
    check(b3 == start + 32 * K, "shrink to 32 KiB above the start");
    kept = 1;
    for (size_t i = 0; i < 32 * K; i++)
        kept &= base[i] == (unsigned char)(i ^ (i >> 9));
    check(kept, "data below the new break survives shrinking");

    uintptr_t b4 = brk_(start + 4 * M);
    check(b4 == start + 4 * M, "grow again to 4 MiB");
    zero = 1;
    for (size_t i = 64 * K; i < 4 * M; i++)
        zero &= base[i] == 0;
    check(zero, "memory released by shrinking comes back zeroed");

    check(brk_(1) == b4, "brk below the heap start fails (returns the current break)");
    /* (a large but possible break would depend on the host's overcommit policy; these are always impossible) */
    check(brk_(start + ((uintptr_t)1 << 47)) == b4, "brk 128 TiB up, past the user address space, fails");
    check(brk_((uintptr_t)-4096) == b4, "brk near the top of the address space fails");
    check(brk_(0) == b4, "break unchanged after failed calls");
    check(brk_(start) == start, "shrink back to the start");

    for (int i = 0; i < nresults; i++)
        printf("%s\n", results[i]);
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "ALL OK");
    return failures != 0;
}
