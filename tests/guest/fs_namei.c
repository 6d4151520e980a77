/* fs_namei: the namespace calls -- mkdir(at), mknod(at), unlink(at), rmdir, rename(at2), link(at), symlink(at)
   -- in a scratch directory on /dev/shm: results, the objects they leave behind (type, mode, link count), and
   Linux's errno for every classic failure (EEXIST, ENOENT, ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, EBUSY, EXDEV,
   EPERM), with the special rules for trailing slashes and for "." / ".." / "/" as the last component. */
#define _GNU_SOURCE
#include "errname.h"
#include "fs_util.h"
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static long renameat2_(int odir, const char *old, int ndir, const char *new, unsigned flags)
{
    return syscall(SYS_renameat2, odir, old, ndir, new, flags);
}

static void readlink_show(const char *path)
{
    char buf[256];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) {
        say("  readlink %s: %s\n", path, errname(errno));
        return;
    }
    buf[n] = 0;
    say("  readlink %s: [%s]\n", path, buf);
}

static void cat(const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        say("  cat %s: %s\n", path, errname(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    say("  cat %s: [%s]\n", path, buf);
}

static void cwd_suffix(void)
{
    char buf[1024];
    if (!getcwd(buf, sizeof buf)) {
        say("  getcwd: %s\n", errname(errno));
        return;
    }
    size_t n = strlen(scratch);
    say("  cwd: [%s]\n", strncmp(buf, scratch, n) == 0 ? buf + n : buf);
}

static void test_mkdir(void)
{
    say("--- mkdir\n");
    TRY("mkdir d 0777", mkdir("d", 0777));
    show("d");
    TRY("mkdir d again", mkdir("d", 0755));
    TRY("mkdir e/ (trailing slash)", mkdir("e/", 0700));
    show("e");
    TRY("mkdir e2// (slashes)", mkdir("e2//", 0700));
    TRY("mkdir x/y (missing parent)", mkdir("x/y", 0755));
    TRY("mkdir .", mkdir(".", 0755));
    TRY("mkdir ..", mkdir("..", 0755));
    TRY("mkdir d/.", mkdir("d/.", 0755));
    TRY("mkdir /", mkdir("/", 0755));
    make_file("f", "hello", 0644);
    TRY("mkdir f/x (parent is a file)", mkdir("f/x", 0755));
    TRY("mkdir f/ (exists)", mkdir("f/", 0755));
    TRY("mkdir sticky 01777", mkdir("sticky", 01777));
    show("sticky");
    TRY("mkdir setgid 02755 (mkdir drops S_ISGID)", mkdir("setgid", 02755));
    show("setgid");
    TRY("chmod setgid 02755", chmod("setgid", 02755));
    show("setgid");
    TRY("mkdir setgid/inherits 0700", mkdir("setgid/inherits", 0700));
    show("setgid/inherits");
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    TRY("mkdir 256-char name", mkdir(longname, 0755));
    longname[255] = 0;
    TRY("mkdir 255-char name", mkdir(longname, 0755));
    TRY("rmdir 255-char name", rmdir(longname));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("mkdirat(d, sub)", mkdirat(dfd, "sub", 0750));
    show("d/sub");
    show("d");
    int ffd = open("f", O_RDONLY);
    TRY("mkdirat(file fd, x)", mkdirat(ffd, "x", 0755));
    TRY("mkdirat(file fd, /abs ignores fd)", mkdirat(ffd, "/dev/shm", 0755));
    TRY("mkdirat(99, x)", mkdirat(99, "x", 0755));
    close(ffd);
    close(dfd);
    umask(077);
    TRY("mkdir umask077 0777", mkdir("masked", 0777));
    show("masked");
    umask(022);
}

static void test_symlink_link(void)
{
    say("--- symlink, link\n");
    TRY("symlink f lf", symlink("f", "lf"));
    show("lf");
    readlink_show("lf");
    cat("lf");
    TRY("symlink nowhere dangling", symlink("nowhere", "dangling"));
    TRY("mkdir dangling (symlink exists)", mkdir("dangling", 0755));
    TRY("symlink '' empty", symlink("", "empty"));
    TRY("symlink f lf again", symlink("f", "lf"));
    TRY("symlink x nx/ (trailing slash)", symlink("x", "nx/"));
    TRY("symlink x f/", symlink("x", "f/"));
    TRY("symlink d dirlink", symlink("d", "dirlink"));
    TRY("symlink x missing/y", symlink("x", "missing/y"));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("symlinkat(../f, d, sl)", symlinkat("../f", dfd, "sl"));
    cat("d/sl");

    TRY("link f f2", link("f", "f2"));
    show("f");
    show("f2");
    TRY("link f f2 again", link("f", "f2"));
    TRY("link d dl (directory)", link("d", "dl"));
    TRY("link nx y", link("nx", "y"));
    TRY("link f/ y", link("f/", "y"));
    TRY("link f y/", link("f", "y/"));
    TRY("link f missing/y", link("f", "missing/y"));
    TRY("linkat lf lf2 (no follow)", linkat(AT_FDCWD, "lf", AT_FDCWD, "lf2", 0));
    show("lf");
    show("lf2");
    TRY("linkat lf lf3 AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "lf", AT_FDCWD, "lf3", AT_SYMLINK_FOLLOW));
    show("lf3");
    show("f");
    TRY("linkat dangling AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "dangling", AT_FDCWD, "dl2", AT_SYMLINK_FOLLOW));
    TRY("linkat bad flags", linkat(AT_FDCWD, "f", AT_FDCWD, "bad", 0x8000));
    TRY("linkat(d, ../f, d, f4)", linkat(dfd, "../f", dfd, "f4", 0));
    show("d/f4");
    TRY("linkat '' without AT_EMPTY_PATH", linkat(dfd, "", AT_FDCWD, "e1", 0));
    int ffd = open("f", O_RDONLY);
    TRY("linkat(fd, '', AT_EMPTY_PATH)", linkat(ffd, "", AT_FDCWD, "viaempty", AT_EMPTY_PATH));
    show("viaempty");
    close(ffd);
    close(dfd);
    /* an unlinked file cannot get a name again */
    int tfd = open("tmp", O_CREAT | O_RDWR, 0600);
    unlink("tmp");
    TRY("linkat(unlinked fd, '', AT_EMPTY_PATH)", linkat(tfd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
    close(tfd);
}

static void test_unlink_rmdir(void)
{
    say("--- unlink, rmdir\n");
    TRY("unlink f2", unlink("f2"));
    show("f");
    TRY("unlink f2 again", unlink("f2"));
    TRY("unlink d (directory)", unlink("d"));
    TRY("unlink d/", unlink("d/"));
    TRY("unlink f/", unlink("f/"));
    TRY("unlink nx/", unlink("nx/"));
    TRY("unlink .", unlink("."));
    TRY("unlink /", unlink("/"));
    TRY("unlink missing/x", unlink("missing/x"));
    TRY("unlink f/x", unlink("f/x"));
    TRY("unlink lf2 (the link, not the target)", unlink("lf2"));
    show("lf");
    TRY("unlinkat bad flag", unlinkat(AT_FDCWD, "lf3", 1));
    TRY("unlinkat f AT_REMOVEDIR", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));
    TRY("unlinkat lf3 0", unlinkat(AT_FDCWD, "lf3", 0));
    TRY("rmdir d (not empty)", rmdir("d"));
    TRY("rmdir d/.", rmdir("d/."));
    TRY("rmdir d/..", rmdir("d/.."));
    TRY("rmdir .", rmdir("."));
    TRY("rmdir /", rmdir("/"));
    TRY("rmdir f", rmdir("f"));
    TRY("rmdir nx", rmdir("nx"));
    TRY("rmdir dirlink (symlink)", rmdir("dirlink"));
    TRY("rmdir dirlink/", rmdir("dirlink/"));
    TRY("rmdir d/sub/", rmdir("d/sub/"));
    show("d");
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("unlinkat(d, sl)", unlinkat(dfd, "sl", 0));
    TRY("unlinkat(d, f4)", unlinkat(dfd, "f4", 0));
    mkdir("d/sub2", 0755);
    TRY("unlinkat(d, sub2, AT_REMOVEDIR)", unlinkat(dfd, "sub2", AT_REMOVEDIR));
    close(dfd);
    list("d");

    /* an open file outlives its name */
    int fd = open("tmp2", O_CREAT | O_RDWR, 0600);
    write(fd, "still here", 10);
    TRY("unlink open tmp2", unlink("tmp2"));
    struct stat s;
    fstat(fd, &s);
    char buf[32] = {0};
    pread(fd, buf, sizeof buf - 1, 0);
    say("  after unlink: nlink=%lu data=[%s]\n", (unsigned long)s.st_nlink, buf);
    close(fd);

    /* a removed working directory: nothing can be created in it, ".." still leads out */
    mkdir("gone", 0755);
    TRY("chdir gone", chdir("gone"));
    TRY("rmdir ../gone (our cwd)", rmdir("../gone"));
    TRY("mkdir in removed cwd", mkdir("x", 0755));
    TRY("symlink in removed cwd", symlink("a", "x"));
    TRY("mknod in removed cwd", mknod("x", S_IFIFO | 0600, 0));
    TRY("chdir ..", chdir(".."));
    cwd_suffix();
}

static void test_rename(void)
{
    say("--- rename\n");
    TRY("rename f g", rename("f", "g"));
    show("f");
    cat("g");
    TRY("rename g g (itself)", rename("g", "g"));
    show("g");
    make_file("victim", "old", 0600);
    int vfd = open("victim", O_RDONLY);
    make_file("h", "new", 0644);
    TRY("rename h victim (replace)", rename("h", "victim"));
    struct stat s;
    fstat(vfd, &s);
    say("  replaced file: nlink=%lu\n", (unsigned long)s.st_nlink);
    close(vfd);
    cat("victim");
    TRY("link victim v2", link("victim", "v2"));
    TRY("rename victim v2 (same inode)", rename("victim", "v2"));
    show("victim");
    show("v2");
    unlink("v2");

    mkdir("a", 0755);
    mkdir("b", 0755);
    mkdir("a/inner", 0755);
    make_file("b/file", "x", 0644);
    mkdir("empty", 0755);
    TRY("rename a empty (dir over empty dir)", rename("a", "empty"));
    show("empty");
    TRY("rename empty b (dir over non-empty dir)", rename("empty", "b"));
    TRY("rename empty victim (dir over file)", rename("empty", "victim"));
    TRY("rename victim b (file over dir)", rename("victim", "b"));
    TRY("rename empty empty/inner/x (into itself)", rename("empty", "empty/inner/x"));
    TRY("rename empty empty/inner (onto own child)", rename("empty", "empty/inner"));
    TRY("rename empty/inner empty (onto own parent)", rename("empty/inner", "empty"));
    TRY("rename . x", rename(".", "x"));
    TRY("rename victim .", rename("victim", "."));
    TRY("rename victim ..", rename("victim", ".."));
    TRY("rename victim b/..", rename("victim", "b/.."));
    TRY("rename victim/ w", rename("victim/", "w"));
    TRY("rename victim w/", rename("victim", "w/"));
    TRY("rename empty/ moved/ (dir with slashes)", rename("empty/", "moved/"));
    list(".");
    TRY("rename nx y", rename("nx", "y"));
    TRY("rename victim missing/y", rename("victim", "missing/y"));
    TRY("rename victim / (other mount)", rename("victim", "/pynix-never-created"));
    TRY("rename / x", rename("/", "x"));
    TRY("renameat2 NOREPLACE onto existing", renameat2_(AT_FDCWD, "victim", AT_FDCWD, "g", RENAME_NOREPLACE));
    TRY("renameat2 NOREPLACE onto .", renameat2_(AT_FDCWD, "victim", AT_FDCWD, ".", RENAME_NOREPLACE));
    TRY("renameat2 NOREPLACE to new name", renameat2_(AT_FDCWD, "victim", AT_FDCWD, "v3", RENAME_NOREPLACE));
    cat("v3");
    TRY("renameat2 EXCHANGE file<->dir", renameat2_(AT_FDCWD, "v3", AT_FDCWD, "moved", RENAME_EXCHANGE));
    show("v3");
    show("moved");
    show("v3/inner");
    TRY("renameat2 EXCHANGE with missing", renameat2_(AT_FDCWD, "v3", AT_FDCWD, "nothing", RENAME_EXCHANGE));
    TRY("renameat2 EXCHANGE|NOREPLACE", renameat2_(AT_FDCWD, "v3", AT_FDCWD, "moved", RENAME_EXCHANGE | RENAME_NOREPLACE));
    TRY("renameat2 flags 8", renameat2_(AT_FDCWD, "v3", AT_FDCWD, "moved", 8));
    TRY("renameat2 EXCHANGE dir with its child", renameat2_(AT_FDCWD, "v3", AT_FDCWD, "v3/inner", RENAME_EXCHANGE));
    TRY("renameat2 EXCHANGE moved/ (file with slash)", renameat2_(AT_FDCWD, "v3", AT_FDCWD, "moved/", RENAME_EXCHANGE));
    mkdir("c", 0755);
    mkdir("c/c1", 0755);
    mkdir("c/c1/deeper", 0755);
    make_file("v3/inner/marker", "", 0644);
    TRY("renameat2 EXCHANGE dirs across parents", renameat2_(AT_FDCWD, "v3/inner", AT_FDCWD, "c/c1", RENAME_EXCHANGE));
    show("v3");
    show("c");
    list("v3/inner");
    list("c/c1");
    show("v3/inner");
    show("c/c1");
    mkdir("p1", 0755);
    mkdir("p2", 0755);
    make_file("p1/file", "", 0644);
    mkdir("p2/dir", 0755);
    TRY("renameat2 EXCHANGE file<->dir across parents", renameat2_(AT_FDCWD, "p1/file", AT_FDCWD, "p2/dir", RENAME_EXCHANGE));
    show("p1");
    show("p2");
    show("p1/file");
    show("p2/dir");
    int bfd = open("b", O_RDONLY | O_DIRECTORY);
    int cfd = open("c", O_RDONLY | O_DIRECTORY);
    TRY("renameat(b, file, c, moved-file)", renameat(bfd, "file", cfd, "moved-file"));
    close(bfd);
    close(cfd);
    list("b");
    list("c");

    /* a process whose cwd is inside a moved directory follows it */
    mkdir("m", 0755);
    mkdir("m/inner", 0755);
    TRY("chdir m/inner", chdir("m/inner"));
    cwd_suffix();
    TRY("rename ../../m ../../m2", rename("../../m", "../../m2"));
    cwd_suffix();
    TRY("chdir ../..", chdir("../.."));
    cwd_suffix();
    show("m2");
}

static void test_mknod(void)
{
    say("--- mknod\n");
    TRY("mknod fifo S_IFIFO|0644", mknod("fifo", S_IFIFO | 0644, 0));
    show("fifo");
    TRY("mkfifo fifo2 0600", mkfifo("fifo2", 0600));
    show("fifo2");
    TRY("mknod reg 0644 (type 0)", mknod("reg", 0644, 0));
    show("reg");
    TRY("mknod reg2 S_IFREG|0600", mknod("reg2", S_IFREG | 0600, 0));
    show("reg2");
    TRY("mknod dir S_IFDIR", mknod("dir", S_IFDIR | 0755, 0));
    TRY("mknod bad type", mknod("bad", 0170000 | 0644, 0));
    TRY("mknod chr 1:3 (as root)", mknod("chr", S_IFCHR | 0600, makedev(1, 3)));
    struct stat s;
    if (lstat("chr", &s) == 0)
        say("  chr: %c%04o rdev=%u:%u\n", type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
            major(s.st_rdev), minor(s.st_rdev));
    TRY("mknod blk 7:300", mknod("blk", S_IFBLK | 0640, makedev(7, 300)));
    if (lstat("blk", &s) == 0)
        say("  blk: %c%04o rdev=%u:%u\n", type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
            major(s.st_rdev), minor(s.st_rdev));
    TRY("mknod sock", mknod("sock", S_IFSOCK | 0600, 0));
    show("sock");
    TRY("mknod fifo again", mknod("fifo", S_IFIFO | 0644, 0));
    TRY("mknod fifo/ trailing slash", mknod("newfifo/", S_IFIFO | 0644, 0));
    TRY("mknodat(99, ...)", mknodat(99, "x", S_IFIFO | 0600, 0));
    TRY("mknod setgid/reg 02755", mknod("setgid/reg", S_IFREG | 02755, 0));
    show("setgid/reg");
    TRY("open sock (a socket file)", open("sock", O_RDONLY));
}

int main(void)
{
    setup("namei");
    test_mkdir();
    test_symlink_link();
    test_unlink_rmdir();
    test_rename();
    test_mknod();
    list(".");
    cleanup();
    struct stat s;
    say("cleaned up: %s\n", stat(scratch, &s) == 0 ? "no" : errname(errno));
    return 0;
}
