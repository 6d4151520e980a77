/* pty_devpts: the devpts filesystem.  It is listed in /proc/filesystems and mounted at /dev/pts; the slave of
 * an open master is listed in /dev/pts and disappears with the master; a fresh `mount -t devpts` is a new
 * instance with its own ptmx and numbering.  (Mounting needs root: without it the program says so.) */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "errname.h"

static int has_line(const char *file, const char *needle)
{
    FILE *f = fopen(file, "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        found |= strstr(line, needle) != NULL;
    if (f) fclose(f);
    return found;
}

static int listed(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d && (e = readdir(d)))
        found |= strcmp(e->d_name, name) == 0;
    if (d) closedir(d);
    return found;
}

int main(void)
{
    printf("filesystems has devpts: %d\n", has_line("/proc/filesystems", "\tdevpts"));
    printf("mounts has /dev/pts devpts: %d\n", has_line("/proc/mounts", " /dev/pts devpts "));
    struct statfs sf;
    statfs("/dev/pts", &sf);
    printf("statfs magic: %#lx\n", (unsigned long)sf.f_type);
    printf("ptmx listed: %d\n", listed("/dev/pts", "ptmx"));
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY);
    unsigned n;
    ioctl(m, TIOCGPTN, &n);
    char name[32];
    snprintf(name, sizeof name, "%u", n);
    printf("slave listed: %d\n", listed("/dev/pts", name));
    close(m);
    printf("slave listed after close: %d\n", listed("/dev/pts", name));

    if (geteuid() != 0) {
        printf("not root\n");
        return 0;
    }
    if (mkdir("/tmp/pty_devpts_mnt", 0755) && errno != EEXIST) {
        printf("mkdir: %s\n", errname(errno));
        return 1;
    }
    int r = mount("devpts", "/tmp/pty_devpts_mnt", "devpts", 0, "gid=5,mode=620,ptmxmode=666");
    printf("mount devpts: %d %s\n", r, r ? errname(errno) : "");
    if (r == 0) {
        int m1 = open("/tmp/pty_devpts_mnt/ptmx", O_RDWR | O_NOCTTY);
        unsigned n1 = 99;
        ioctl(m1, TIOCGPTN, &n1);
        printf("new instance: first index %u, listed %d\n", n1, listed("/tmp/pty_devpts_mnt", "0"));
        int lock = 0;
        ioctl(m1, TIOCSPTLCK, &lock);
        int s1 = open("/tmp/pty_devpts_mnt/0", O_RDWR | O_NOCTTY);
        write(m1, "q\n", 2);
        usleep(20000);
        char buf[8];
        int k = read(s1, buf, sizeof buf);
        printf("slave of the new instance reads %d\n", k);
        close(s1);
        close(m1);
        printf("umount: %d\n", umount("/tmp/pty_devpts_mnt"));
    }
    rmdir("/tmp/pty_devpts_mnt");
    return 0;
}
