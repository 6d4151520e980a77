/* st_blocks of symlinks (ls -s, du): a short target costs no block (ext4's fast symlink, tmpfs's inline one),
 * a 200-byte one takes a 4 KiB block or page (8 sectors) on both ext4 and tmpfs.  Made in a fresh directory
 * under /tmp, which is ext4 natively here and pynix's in-memory overlay. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *dir, const char *name, size_t length)
{
    char target[256], path[512];
    memset(target, 'x', length);
    target[length] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat sb;
    if (symlink(target, path) != 0 || lstat(path, &sb) != 0) {
        perror(name);
        exit(1);
    }
    printf("%s: size %lld blocks %lld\n", name, (long long)sb.st_size, (long long)sb.st_blocks);
    unlink(path);
}

int main(void)
{
    char dir[] = "/tmp/symlink_blocks.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    show(dir, "short", 10);
    show(dir, "long", 200);
    rmdir(dir);
    return 0;
}
