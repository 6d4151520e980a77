/* Permission bits: umask applied to open/mkdir/mkfifo, umask's return value, chmod/fchmod/fchmodat,
 * access/faccessat modes that do not depend on whether we run as root. */
#include "conf.h"

static void mode(const char *label, const char *path)
{
    struct stat sb;
    if (stat(path, &sb)) { printf("%s: %s\n", label, errname(errno)); return; }
    printf("%s: %04o\n", label, (unsigned)(sb.st_mode & 07777));
}

int main(void)
{
    scratch();
    mode_t old = umask(022);
    printf("umask returns the old mask: %d\n", umask(022) == 022);
    (void)old;
    close(open("f644", O_CREAT | O_WRONLY, 0666));
    mode("create 0666 under 022", "f644");
    umask(077);
    close(open("f600", O_CREAT | O_WRONLY, 0666));
    mode("create 0666 under 077", "f600");
    mkdir("d700", 0777);
    mode("mkdir 0777 under 077", "d700");
    umask(0);
    close(open("f777", O_CREAT | O_WRONLY, 0777));
    mode("create 0777 under 0", "f777");
    close(open("fsuid", O_CREAT | O_WRONLY, 06755));
    mode("create 06755 under 0", "fsuid");
    mkfifo("fifo", 0642);
    mode("mkfifo 0642", "fifo");
    printf("umask(0) then umask: %03o\n", (unsigned)umask(022));
    printf("umask keeps only 0777: %03o\n", (unsigned)(umask(0177777), umask(022)));

    SHOW("chmod 0400", chmod("f644", 0400));
    mode("after chmod", "f644");
    int fd = open("f600", O_RDONLY);
    SHOW("fchmod 0751", fchmod(fd, 0751));
    mode("after fchmod", "f600");
    SHOW("fchmodat 0640", fchmodat(AT_FDCWD, "f777", 0640, 0));
    mode("after fchmodat", "f777");
    SHOW("chmod with type bits ignored", chmod("f777", S_IFDIR | 0600));
    mode("after chmod with S_IFDIR", "f777");
    SHOW("chmod missing", chmod("missing", 0600));
    SHOW("fchmod bad fd", fchmod(99, 0600));

    SHOW("access F_OK", access("f644", F_OK));
    SHOW("access R_OK", access("f644", R_OK));
    SHOW("access X_OK without any x bit", access("f777", X_OK));
    SHOW("access X_OK with x bits", access("f600", X_OK));
    SHOW("access missing", access("missing", F_OK));
    SHOW("access bad mode", access("f644", 8));
    SHOW("access dir X_OK", access("d700", X_OK));
    SHOW("faccessat AT_EACCESS", faccessat(AT_FDCWD, "f600", R_OK, AT_EACCESS));
    SHOW("faccessat bad flag", faccessat(AT_FDCWD, "f600", R_OK, 0x1));
    SHOW("access / X_OK", access("/", X_OK));
    SHOW("access through a file", access("f644/x", F_OK));

    /* chmod of a directory to 0 and back */
    SHOW("chmod dir 0", chmod("d700", 0));
    mode("dir mode", "d700");
    SHOW("chmod dir back", chmod("d700", 0755));
    return 0;
}
