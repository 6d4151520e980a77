/* One translation unit of the make -j2 start-up benchmark (pynix/cli/bench.py's PARALLEL_BUILD). */
static unsigned table[256];

static void init(void) {
    for (unsigned i = 0; i < 256; i++) {
        unsigned c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

unsigned long crc_sum(unsigned n) {
    init();
    unsigned crc = ~0u;
    for (unsigned i = 0; i < n; i++)
        crc = table[(crc ^ i) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
