/* openat2: struct open_how checks and the RESOLVE_* restrictions (BENEATH, IN_ROOT, NO_SYMLINKS,
   NO_MAGICLINKS, NO_XDEV, CACHED), in a directory tree of its own under /tmp.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#define NO_XDEV 0x01
#define NO_MAGICLINKS 0x02
#define NO_SYMLINKS 0x04
#define BENEATH 0x08
#define IN_ROOT 0x10
#define CACHED 0x20

struct how { uint64_t flags, mode, resolve; uint64_t extra; };

static int dirfd;

static void try(const char *what, int at, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve,
                size_t size)
{
    struct how h = {flags, mode, resolve, 0};
    int fd = syscall(SYS_openat2, at, path, &h, size);
    if (fd < 0) {
        say("%s: %s\n", what, errname(errno));
        return;
    }
    char buf[32] = "";
    int n = read(fd, buf, sizeof buf - 1);
    say("%s: ok%s%s\n", what, n > 0 ? " reads " : "", n > 0 ? buf : "");
    close(fd);
}

int main(void)
{
    char dir[128], path[256];
    snprintf(dir, sizeof dir, "/tmp/pynix-openat2-%d", getpid());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sub/file", dir);
    int f = open(path, O_WRONLY | O_CREAT, 0644);
    write(f, "inside\n", 7);
    close(f);
    snprintf(path, sizeof path, "%s/abs", dir);
    symlink("/sub/file", path);
    snprintf(path, sizeof path, "%s/rel", dir);
    symlink("sub/file", path);
    snprintf(path, sizeof path, "%s/up", dir);
    symlink("../..", path);
    dirfd = open(dir, O_RDONLY | O_DIRECTORY);

    try("plain", dirfd, "sub/file", O_RDONLY, 0, 0, 24);
    try("size 23", dirfd, "sub/file", O_RDONLY, 0, 0, 23);
    try("size 32, zero tail", dirfd, "sub/file", O_RDONLY, 0, 0, 32);
    struct how big = {O_RDONLY, 0, 0, 1};
    say("size 32, non-zero tail: %s\n", syscall(SYS_openat2, dirfd, "sub/file", &big, 32) < 0 ? errname(errno) : "ok");
    try("unknown flag", dirfd, "sub/file", O_RDONLY | (1u << 30), 0, 0, 24);
    try("flag past 32 bits", dirfd, "sub/file", O_RDONLY | (1ull << 40), 0, 0, 24);
    try("mode without O_CREAT", dirfd, "sub/file", O_RDONLY, 0644, 0, 24);
    try("mode with type bits", dirfd, "new", O_RDWR | O_CREAT, 0100644, 0, 24);
    try("O_CREAT|O_DIRECTORY", dirfd, "new", O_RDWR | O_CREAT | O_DIRECTORY, 0644, 0, 24);
    try("O_PATH|O_RDWR", dirfd, "sub/file", O_PATH | O_RDWR, 0, 0, 24);
    try("unknown resolve", dirfd, "sub/file", O_RDONLY, 0, 0x40, 24);
    try("BENEATH|IN_ROOT", dirfd, "sub/file", O_RDONLY, 0, BENEATH | IN_ROOT, 24);

    try("beneath sub/file", dirfd, "sub/file", O_RDONLY, 0, BENEATH, 24);
    try("beneath sub/../sub/file", dirfd, "sub/../sub/file", O_RDONLY, 0, BENEATH, 24);
    try("beneath ../x", dirfd, "../x", O_RDONLY, 0, BENEATH, 24);
    try("beneath absolute", dirfd, "/etc/hostname", O_RDONLY, 0, BENEATH, 24);
    try("beneath absolute symlink", dirfd, "abs", O_RDONLY, 0, BENEATH, 24);
    try("beneath relative symlink", dirfd, "rel", O_RDONLY, 0, BENEATH, 24);
    try("beneath up symlink", dirfd, "up/tmp", O_RDONLY, 0, BENEATH, 24);
    try("in_root /sub/file", dirfd, "/sub/file", O_RDONLY, 0, IN_ROOT, 24);
    try("in_root ../../sub/file", dirfd, "../../sub/file", O_RDONLY, 0, IN_ROOT, 24);
    try("in_root absolute symlink", dirfd, "abs", O_RDONLY, 0, IN_ROOT, 24);
    try("in_root up/sub/file", dirfd, "up/sub/file", O_RDONLY, 0, IN_ROOT, 24);
    try("no_symlinks rel", dirfd, "rel", O_RDONLY, 0, NO_SYMLINKS, 24);
    try("no_symlinks rel O_PATH|O_NOFOLLOW", dirfd, "rel", O_PATH | O_NOFOLLOW, 0, NO_SYMLINKS, 24);
    try("no_symlinks through up", dirfd, "up/tmp", O_RDONLY | O_DIRECTORY, 0, NO_SYMLINKS, 24);
    snprintf(path, sizeof path, "/proc/self/fd/%d", dirfd);
    try("no_magiclinks fd link", AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, NO_MAGICLINKS, 24);
    try("fd link without", AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, 0, 24);
    try("no_magiclinks /proc/self/cwd", AT_FDCWD, "/proc/self/cwd", O_RDONLY | O_DIRECTORY, 0, NO_MAGICLINKS, 24);
    try("no_magiclinks through /proc/self", AT_FDCWD, "/proc/self/limits", O_RDONLY, 0, NO_MAGICLINKS, 24);
    try("beneath magic link", AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, NO_MAGICLINKS, 24);
    int root = open("/", O_RDONLY | O_DIRECTORY);
    try("no_xdev into /proc", root, "proc/self/comm", O_RDONLY, 0, NO_XDEV, 24);
    try("no_xdev same mount", root, path[0] ? dir + 1 : "", O_RDONLY | O_DIRECTORY, 0, NO_XDEV, 24);
    try("no_xdev absolute into /proc", dirfd, "/proc/self/comm", O_RDONLY, 0, NO_XDEV, 24);
    try("cached with O_CREAT", dirfd, "new", O_RDWR | O_CREAT, 0644, CACHED, 24);
    try("cached lookup", dirfd, "sub/file", O_RDONLY, 0, CACHED, 24);
    try("create beneath", dirfd, "sub/new", O_RDWR | O_CREAT | O_EXCL, 0600, BENEATH, 24);
    snprintf(path, sizeof path, "%s/sub/new", dir);
    struct stat sb;
    stat(path, &sb);
    say("created mode %o\n", (unsigned)sb.st_mode & 0777);

    unlink(path);
    snprintf(path, sizeof path, "%s/sub/file", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    const char *links[] = {"abs", "rel", "up"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, links[i]);
        unlink(path);
    }
    rmdir(dir);
    say("ALL DONE\n");
    return 0;
}
