/* inotify's IN_UNMOUNT and IN_EXCL_UNLINK: watches on a tmpfs hear IN_UNMOUNT then IN_IGNORED when it is
   unmounted (one instance per watch, so the order between watches does not matter); a watch with
   IN_EXCL_UNLINK no longer hears the events of a file unlinked while open, a watch without it does; an O_PATH
   descriptor raises no events; a file or directory removed while open hears IN_DELETE_SELF at its last close.
   Run as root (it mounts a tmpfs under /tmp).  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs_util.h"

static void print_events(char *events, ssize_t n)
{
    for (char *p = events; p < events + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        char line[512];
        int len = APPEND_FLAGS(line, 0, e->mask, inotify_flags);
        if (e->len)
            len += snprintf(line + len, sizeof line - len, " '%s'", e->name);
        say(" %s\n", line);
        p += sizeof *e + e->len;
    }
}

static void drain(int fd, const char *what)
{
    say("%s:\n", what);
    read_events(fd, 4096, "  ", print_events);
}

static int watch(const char *path, unsigned mask)
{
    int fd = inotify_init1(IN_NONBLOCK);
    if (inotify_add_watch(fd, path, mask) < 0)
        say("watch %s: %s\n", path, errname(errno));
    return fd;
}

int main(void)
{
    mount_scratch("inotify-unmount", "size=16m");
    mkdir(at("sub"), 0755);
    int f = open(at("sub/f"), O_WRONLY | O_CREAT, 0644);
    close(f);

    /* IN_EXCL_UNLINK */
    int plain = watch(at("sub"), IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE);
    int excl = watch(at("sub"), IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE | IN_EXCL_UNLINK);
    int self_excl = watch(at("sub/f"), IN_MODIFY | IN_CLOSE_WRITE | IN_EXCL_UNLINK);
    f = open(at("sub/f"), O_WRONLY);
    write(f, "a", 1);
    drain(plain, "write, without IN_EXCL_UNLINK");
    drain(excl, "write, with IN_EXCL_UNLINK");
    drain(self_excl, "write, the file's own watch with IN_EXCL_UNLINK");
    unlink(at("sub/f"));
    write(f, "b", 1);
    fchmod(f, 0600);
    close(f);
    drain(plain, "unlink, write, fchmod, close, without IN_EXCL_UNLINK");
    drain(excl, "the same with IN_EXCL_UNLINK");
    drain(self_excl, "the same, the file's own watch with IN_EXCL_UNLINK");
    close(plain);
    close(excl);
    close(self_excl);

    /* an unlinked file or removed directory still open: DELETE_SELF at its last close */
    f = open(at("h"), O_RDWR | O_CREAT, 0644);
    int hw = watch(at("h"), IN_ALL_EVENTS);
    int dup_f = dup(f);
    unlink(at("h"));
    drain(hw, "unlink h while open");
    close(f);
    drain(hw, "close one of its two descriptors");
    close(dup_f);
    drain(hw, "close the other");
    close(hw);
    mkdir(at("e"), 0755);
    int e = open(at("e"), O_RDONLY | O_DIRECTORY);
    int ew = watch(at("e"), IN_ALL_EVENTS);
    rmdir(at("e"));
    drain(ew, "rmdir e while open");
    close(e);
    drain(ew, "close e");
    close(ew);
    f = open(at("i"), O_RDWR | O_CREAT, 0644);
    close(f);
    int iw = watch(at("i"), IN_ALL_EVENTS);
    unlink(at("i"));
    drain(iw, "unlink i, not open");
    close(iw);
    mkdir(at("j"), 0755);
    mkdir(at("j/k"), 0755);
    int jw = watch(at("j/k"), IN_ALL_EVENTS);
    rename(at("j/k"), at("k2"));
    rmdir(at("k2"));
    drain(jw, "move and remove a directory, not open");
    close(jw);

    /* IN_UNMOUNT */
    mkdir(at("d"), 0755);
    f = open(at("g"), O_WRONLY | O_CREAT, 0644);
    close(f);
    int root = watch(scratch, IN_ALL_EVENTS);
    int opath = open(at("g"), O_PATH);
    struct stat sb;
    fstat(opath, &sb);
    close(opath);
    drain(root, "open, fstat and close g with O_PATH");
    int d = watch(at("d"), IN_CREATE);
    int g = watch(at("g"), IN_ATTRIB);
    int outside = watch("/tmp", IN_UNMOUNT | IN_ATTRIB);
    say("umount: %s\n", umount(scratch) < 0 ? errname(errno) : "ok");
    drain(root, "the tmpfs's root");
    drain(d, "a directory in it");
    drain(g, "a file in it");
    drain(outside, "/tmp, the directory it was mounted in");
    rmdir(scratch);
    say("ALL DONE\n");
    return 0;
}
