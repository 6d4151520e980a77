/* stat: stat() latency (lmbench lat_syscall stat).
 *
 * usage: stat [ITERATIONS]         (default 50000)
 * RESULT stat <us per stat> us/op
 *
 * The program creates /tmp/pynix-bench-stat.<pid> (12345 bytes; removed at the end) and stat()s that path in
 * a loop: a path walk of two components plus the attribute copy-out.  Every answer is checked (regular file,
 * size, inode number, link count).
 */
#include "bench.h"
#include <fcntl.h>
#include <sys/stat.h>

#define SIZE 12345

static char path[64];

static void remove_file(void)
{
    if (path[0])
        unlink(path);
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 50000);
    snprintf(path, sizeof path, "/tmp/pynix-bench-stat.%ld", (long)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open /tmp file");
    atexit(remove_file);
    static char data[SIZE];
    memset(data, 'x', sizeof data);
    if (write(fd, data, SIZE) != SIZE)
        die("write");
    struct stat ref;
    if (fstat(fd, &ref))
        die("fstat");
    close(fd);
    if (!S_ISREG(ref.st_mode) || ref.st_size != SIZE)
        fail("fstat: mode 0%o size %lld, expected a regular file of %d bytes", (unsigned)ref.st_mode,
             (long long)ref.st_size, SIZE);

    long bad = 0;
    struct stat st;
    double t0 = 0;
    for (long i = -500; i < n; i++) {
        if (i == 0)
            t0 = now_us();
        if (stat(path, &st))
            die("stat");
        bad += !S_ISREG(st.st_mode) || st.st_size != SIZE || st.st_ino != ref.st_ino || st.st_nlink != 1;
    }
    double t1 = now_us();
    if (bad)
        fail("stat returned wrong attributes %ld times", bad);
    result("stat", (t1 - t0) / n, "us/op");
    return 0;
}
