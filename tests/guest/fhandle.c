/* name_to_handle_at / open_by_handle_at: sizes, reopening a file and a directory by handle, stale and bad
   handles, permissions.  Handle contents and mount ids are never printed.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

int main(void)
{
    char dir[128], path[256];
    snprintf(dir, sizeof dir, "/tmp/pynix-fhandle-%d", getpid());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/file", dir);
    int f = open(path, O_WRONLY | O_CREAT, 0644);
    write(f, "by handle\n", 10);
    close(f);

    struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
    int mnt = -1;
    h->handle_bytes = 0;
    int r = name_to_handle_at(AT_FDCWD, path, h, &mnt, 0);
    say("handle_bytes 0: %s needed nonzero %d\n", RES(r), h->handle_bytes > 0);
    unsigned needed = h->handle_bytes;
    h->handle_bytes = MAX_HANDLE_SZ + 1;
    say("handle_bytes past MAX_HANDLE_SZ: %s\n", RES(name_to_handle_at(AT_FDCWD, path, h, &mnt, 0)));
    say("bad flags: %s\n", RES(name_to_handle_at(AT_FDCWD, path, h, &mnt, 0x8000)));
    h->handle_bytes = MAX_HANDLE_SZ;
    r = name_to_handle_at(AT_FDCWD, path, h, &mnt, 0);
    say("name_to_handle_at: %s size as needed %d\n", RES(r), h->handle_bytes == needed);
    say("missing file: %s\n", RES(name_to_handle_at(AT_FDCWD, "/tmp/no/such/file", h, &mnt, 0)));

    int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    int fd = open_by_handle_at(dirfd, h, O_RDONLY);
    char buf[32] = "";
    read(fd, buf, sizeof buf - 1);
    say("open_by_handle_at: %s reads %s", RES(fd), buf);
    struct stat a, b;
    fstat(fd, &a);
    stat(path, &b);
    say("same inode: %d cloexec %d\n", a.st_ino == b.st_ino, fcntl(fd, F_GETFD));
    close(fd);
    fd = open_by_handle_at(dirfd, h, O_RDONLY | O_CLOEXEC);
    say("O_CLOEXEC: cloexec %d\n", fcntl(fd, F_GETFD));
    close(fd);

    struct file_handle *d = malloc(sizeof *d + MAX_HANDLE_SZ);
    d->handle_bytes = MAX_HANDLE_SZ;
    say("handle of the directory (AT_EMPTY_PATH): %s\n", RES(name_to_handle_at(dirfd, "", d, &mnt, AT_EMPTY_PATH)));
    fd = open_by_handle_at(AT_FDCWD, d, O_RDONLY | O_DIRECTORY);
    say("open the directory by handle: %s is dir %d\n", RES(fd), fd >= 0 && fstat(fd, &a) == 0 && S_ISDIR(a.st_mode));
    close(fd);

    unsigned saved = h->handle_bytes;
    h->handle_bytes = 0;
    say("open handle_bytes 0: %s\n", RES(open_by_handle_at(dirfd, h, O_RDONLY)));
    h->handle_bytes = saved;
    int type = h->handle_type;
    h->handle_type = 0x7ffffff0;
    say("open unknown type: %s\n", RES(open_by_handle_at(dirfd, h, O_RDONLY)));
    h->handle_type = type;
    pid_t pid = fork();
    if (pid == 0) {
        if (setuid(1000) == 0)
            say("user: open_by_handle_at: %s\n", RES(open_by_handle_at(dirfd, h, O_RDONLY)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    unlink(path);
    say("after unlink: %s\n", RES(open_by_handle_at(dirfd, h, O_RDONLY)));
    rmdir(dir);
    say("ALL DONE\n");
    return 0;
}
