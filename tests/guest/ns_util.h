/* Helpers of the ns_*.c namespace tests: the nsfs inode of /proc/self/ns/NAME, the ioctls on namespace files,
 * and a one-byte pipe handshake between two processes. */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS_GET_USERNS 0xb701
#define NS_GET_PARENT 0xb702
#define NS_GET_NSTYPE 0xb703
#define NS_GET_OWNER_UID 0xb704
#define RES(r) ((r) < 0 ? errname(errno) : "ok")

/* inode number of /proc/<pid>/ns/<name> (pid 0: self), 0 on error */
__attribute__((unused)) static unsigned long ns_ino(int pid, const char *name)
{
    char path[64];
    struct stat st;
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, name);
    else
        snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    return stat(path, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

__attribute__((unused)) static unsigned long fd_ino(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* the link text of /proc/self/ns/<name> matches "<name>:[<its inode>]" */
__attribute__((unused)) static int ns_link_ok(const char *name)
{
    char path[64], text[64], want[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", name);
    ssize_t n = readlink(path, text, sizeof text - 1);
    if (n < 0)
        return 0;
    text[n] = 0;
    const char *kind = strcmp(name, "pid_for_children") == 0 ? "pid" : name;
    snprintf(want, sizeof want, "%s:[%lu]", kind, ns_ino(0, name));
    return strcmp(text, want) == 0;
}

__attribute__((unused)) static void signal_peer(int fd)
{
    char c = 1;
    write(fd, &c, 1);
}

__attribute__((unused)) static void wait_peer(int fd)
{
    char c;
    read(fd, &c, 1);
}
