/* open/openat flags: O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH, access
 * modes and the errors of each (in a private directory under /dev/shm). */
#include "conf.h"

int main(void)
{
    scratch();
    SHOW("open missing file", open("missing", O_RDONLY));
    SHOW("create", open("f", O_WRONLY | O_CREAT, 0644));
    SHOW("create again O_EXCL", open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
    SHOW("O_CREAT without O_EXCL on existing", open("f", O_RDONLY | O_CREAT, 0644));
    for (int fd = 3; fd < 10; fd++) close(fd);

    int fd = open("f", O_RDWR);
    write(fd, "hello world", 11);
    close(fd);
    fd = open("f", O_RDONLY);
    SHOW("write to O_RDONLY", write(fd, "x", 1));
    close(fd);
    fd = open("f", O_WRONLY);
    char buf[64];
    SHOW("read from O_WRONLY", read(fd, buf, 1));
    close(fd);

    fd = open("f", O_WRONLY | O_APPEND);
    SHOW("append write", write(fd, "!", 1));
    SHOW("offset after append (SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    write(fd, "?", 1);   /* O_APPEND: still at the end */
    close(fd);
    fd = open("f", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("content: %s\n", buf);
    close(fd);

    fd = open("f", O_RDONLY | O_TRUNC);   /* O_TRUNC with O_RDONLY: Linux truncates anyway */
    close(fd);
    struct stat sb;
    stat("f", &sb);
    printf("size after O_RDONLY|O_TRUNC: %ld\n", (long)sb.st_size);
    put_file("g", "0123456789");
    fd = open("g", O_WRONLY | O_TRUNC);
    fstat(fd, &sb);
    printf("size after O_WRONLY|O_TRUNC: %ld\n", (long)sb.st_size);
    close(fd);

    MUST(mkdir("d", 0755));
    SHOW("O_DIRECTORY on a file", open("g", O_RDONLY | O_DIRECTORY));
    fd = open("d", O_RDONLY | O_DIRECTORY);
    printf("O_DIRECTORY on a directory: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    SHOW("directory O_WRONLY", open("d", O_WRONLY));
    SHOW("directory O_RDWR", open("d", O_RDWR));
    SHOW("directory O_CREAT", open("d", O_RDONLY | O_CREAT, 0644));
    SHOW("O_CREAT with trailing slash", open("new/", O_RDWR | O_CREAT, 0644));
    SHOW("file as a path component", open("g/x", O_RDONLY));
    SHOW("O_CREAT in a missing directory", open("nodir/x", O_RDWR | O_CREAT, 0644));
    SHOW("empty path", open("", O_RDONLY));
    char longname[300];
    memset(longname, 'a', 299);
    longname[299] = 0;
    SHOW("name longer than 255", open(longname, O_RDONLY | O_CREAT, 0644));
    SHOW("O_ACCMODE 3", open("g", 3));

    MUST(symlink("g", "link"));
    SHOW("O_NOFOLLOW on a symlink", open("link", O_RDONLY | O_NOFOLLOW));
    fd = open("link", O_RDONLY);
    n = read(fd, buf, 4);
    printf("read through a symlink: %zd\n", n);
    close(fd);
    SHOW("O_CREAT|O_EXCL on a symlink", open("link", O_RDWR | O_CREAT | O_EXCL, 0644));

    fd = open("g", O_RDONLY | O_CLOEXEC);
    printf("O_CLOEXEC -> F_GETFD: %d\n", fcntl(fd, F_GETFD));
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL access mode RDONLY: %d, has O_CLOEXEC bit: %d\n", (fl & O_ACCMODE) == O_RDONLY, !!(fl & O_CLOEXEC));
    close(fd);
    fd = open("g", O_RDWR | O_NONBLOCK);
    fl = fcntl(fd, F_GETFL);
    printf("F_GETFL RDWR: %d, NONBLOCK: %d\n", (fl & O_ACCMODE) == O_RDWR, !!(fl & O_NONBLOCK));
    close(fd);

    fd = open("g", O_PATH);
    printf("O_PATH open: %s\n", fd >= 0 ? "ok" : errname(errno));
    SHOW("read on O_PATH", read(fd, buf, 1));
    SHOW("fstat on O_PATH", fstat(fd, &sb));
    close(fd);

    /* openat relative to a directory descriptor */
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    fd = openat(dfd, "inner", O_WRONLY | O_CREAT, 0600);
    printf("openat create inside d: %s\n", fd >= 0 ? "ok" : errname(errno));
    close(fd);
    SHOW("stat d/inner", stat("d/inner", &sb));
    SHOW("openat with a file as dirfd", openat(open("g", O_RDONLY), "x", O_RDONLY));
    SHOW("openat with a bad dirfd", openat(999, "x", O_RDONLY));
    fd = openat(999, "/etc/passwd", O_RDONLY);
    printf("openat absolute ignores dirfd: %s\n", fd >= 0 ? "ok" : errname(errno));
    return 0;
}
