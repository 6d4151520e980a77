/* malloc_stress: grow the heap (brk and mmap) past 64 MiB of live data, then thousands of random
   malloc/realloc/free of small and large blocks; every block carries a pattern derived from its identity, which
   is verified before it is freed or resized.  Prints only sizes, counts and checksums (never addresses). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* The pattern is written a 64-bit word at a time (malloc results are 16-byte aligned), so that filling tens of
   MiB stays cheap even under an emulator; the tail bytes of odd-sized blocks get a byte pattern. */
static uint64_t word_pattern(uint32_t id, size_t i)
{
    return ((uint64_t)id << 32 | (uint32_t)i) * 0x9e3779b97f4a7c15ULL;
}

static unsigned char byte_pattern(uint32_t id, size_t i)
{
    return (unsigned char)((id * 2654435761u) >> 24 ^ (i * 31));
}

static void fill(unsigned char *p, size_t n, uint32_t id)
{
    uint64_t *w = (uint64_t *)p;
    size_t words = n / 8;
    for (size_t i = 0; i < words; i++)
        w[i] = word_pattern(id, i);
    for (size_t i = words * 8; i < n; i++)
        p[i] = byte_pattern(id, i);
}

/* check the first n bytes of a block filled with fill(p, m, id) for some m >= n */
static int check(const unsigned char *p, size_t n, uint32_t id)
{
    const uint64_t *w = (const uint64_t *)p;
    size_t words = n / 8;
    for (size_t i = 0; i < words; i++)
        if (w[i] != word_pattern(id, i))
            return 0;
    return 1;
}

/* check a whole block filled with fill(p, n, id), tail bytes included */
static int check_full(const unsigned char *p, size_t n, uint32_t id)
{
    if (!check(p, n, id))
        return 0;
    for (size_t i = n / 8 * 8; i < n; i++)
        if (p[i] != byte_pattern(id, i))
            return 0;
    return 1;
}

static uint64_t checksum(uint64_t sum, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 4093)
        sum = (sum ^ p[i]) * 1099511628211ULL;
    if (n)
        sum = (sum ^ p[n - 1]) * 1099511628211ULL;
    return sum;
}

#define BIG_BLOCKS 48            /* 48 x 1 MiB + 1 x 16 MiB through mmap-sized requests */
#define SMALL_BLOCKS (64 * 1024) /* 64 Ki x 256 B = 16 MiB of small (brk-heap) blocks */
#define SLOTS 4096
#define OPS 60000

static unsigned char *big[BIG_BLOCKS];
static unsigned char *small[SMALL_BLOCKS];

struct slot {
    unsigned char *p;
    size_t n;
    uint32_t id;
};
static struct slot slots[SLOTS];

int main(void)
{
    int bad = 0;
    uint64_t sum = 14695981039346656037ULL;
    size_t live = 0;

    /* phase 1: >= 64 MiB live at once */
    for (int i = 0; i < BIG_BLOCKS; i++) {
        big[i] = malloc(1 << 20);
        if (!big[i]) {
            printf("malloc(1 MiB) #%d failed\n", i);
            return 1;
        }
        fill(big[i], 1 << 20, 1000 + i);
        live += 1 << 20;
    }
    unsigned char *huge = malloc(16 << 20);
    if (!huge) {
        printf("malloc(16 MiB) failed\n");
        return 1;
    }
    fill(huge, 16 << 20, 7);
    live += 16 << 20;
    for (int i = 0; i < SMALL_BLOCKS; i++) {
        small[i] = malloc(256);
        if (!small[i]) {
            printf("small malloc #%d failed\n", i);
            return 1;
        }
        fill(small[i], 256, 100000 + i);
        live += 256;
    }
    printf("phase 1: %zu MiB live in %d blocks\n", live >> 20, BIG_BLOCKS + 1 + SMALL_BLOCKS);
    for (int i = 0; i < BIG_BLOCKS; i++) {
        bad += !check(big[i], 1 << 20, 1000 + i);
        sum = checksum(sum, big[i], 1 << 20);
    }
    bad += !check(huge, 16 << 20, 7);
    sum = checksum(sum, huge, 16 << 20);
    for (int i = 0; i < SMALL_BLOCKS; i++) {
        bad += !check(small[i], 256, 100000 + i);
        sum = checksum(sum, small[i], 256);
    }
    printf("phase 1: %d corrupt blocks, checksum %016llx\n", bad, (unsigned long long)sum);

    /* grow the 16 MiB block to 24 MiB and a few 1 MiB ones to 3 MiB: contents must move intact */
    huge = realloc(huge, 24 << 20);
    bad += !huge || !check(huge, 16 << 20, 7);
    for (int i = 0; i < BIG_BLOCKS; i += 8) {
        big[i] = realloc(big[i], 3 << 20);
        bad += !big[i] || !check(big[i], 1 << 20, 1000 + i);
    }
    /* free every other small block, then all big ones */
    for (int i = 0; i < SMALL_BLOCKS; i += 2) {
        free(small[i]);
        small[i] = NULL;
    }
    for (int i = 0; i < BIG_BLOCKS; i++)
        free(big[i]);
    free(huge);
    for (int i = 1; i < SMALL_BLOCKS; i += 2)
        bad += !check(small[i], 256, 100000 + i);
    printf("phase 2: %d corrupt blocks after realloc/free\n", bad);

    /* phase 3: random churn */
    uint32_t next_id = 1;
    size_t allocated = 0, freed = 0, reallocated = 0, peak = 0, cur = 0;
    for (int op = 0; op < OPS; op++) {
        struct slot *s = &slots[rng() % SLOTS];
        uint64_t r = rng();
        size_t n;
        switch (r % 64) {
        case 0:
            n = 131072 + (r >> 8) % (384 * 1024); /* large: usually its own mmap */
            break;
        case 1: case 2: case 3: case 4: case 5: case 6:
            n = 1024 + (r >> 8) % 16384;
            break;
        default:
            n = (r >> 8) % 512;
        }
        if (!s->p) {
            s->p = malloc(n);
            if (!s->p && n) {
                printf("malloc(%zu) failed at op %d\n", n, op);
                return 1;
            }
            s->n = n;
            s->id = next_id++;
            fill(s->p, n, s->id);
            allocated++;
            cur += n;
        } else if (r & 0x10000) {
            bad += !check_full(s->p, s->n, s->id);
            sum = checksum(sum, s->p, s->n);
            free(s->p);
            s->p = NULL;
            freed++;
            cur -= s->n;
        } else {
            unsigned char *q = realloc(s->p, n ? n : 1);
            if (!q) {
                printf("realloc(%zu) failed at op %d\n", n, op);
                return 1;
            }
            size_t keep = s->n < n ? s->n : n;
            bad += !check(q, keep, s->id);
            sum = checksum(sum, q, keep);
            uint32_t id = next_id++;
            fill(q, n, id);
            s->p = q;
            s->id = id;
            cur = cur - s->n + n;
            s->n = n;
            reallocated++;
        }
        if (cur > peak)
            peak = cur;
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p) {
            bad += !check_full(slots[i].p, slots[i].n, slots[i].id);
            sum = checksum(sum, slots[i].p, slots[i].n);
            free(slots[i].p);
        }
    }
    for (int i = 1; i < SMALL_BLOCKS; i += 2)
        free(small[i]);
    printf("phase 3: %zu mallocs, %zu frees, %zu reallocs, peak %zu KiB live\n", allocated, freed, reallocated,
           peak >> 10);
    /* calloc must return zeroed memory, also when it reuses freed blocks */
    int dirty = 0;
    for (int i = 0; i < 64; i++) {
        size_t n = i < 32 ? 200 + i * 13 : (1 << 20) + i;
        unsigned char *p = calloc(n, 1);
        for (size_t j = 0; p && j < n; j++)
            dirty += p[j] != 0;
        if (p)
            memset(p, 0xab, n);
        free(p);
    }
    printf("calloc: %d non-zero bytes\n", dirty);
    printf("%s: %d corrupt blocks, checksum %016llx\n", bad || dirty ? "FAIL" : "OK", bad + dirty,
           (unsigned long long)sum);
    return bad || dirty;
}
