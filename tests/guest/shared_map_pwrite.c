/* A file that one process maps MAP_SHARED while another writes it with pwrite (and reads it with pread): each
 * sees the other's change at once, through the one page cache of the file (issue 12).  argv[1]: a directory
 * (a --mount HOST:GUEST:rw under pynix). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void step(int fd) {              /* wait for the other side */
    char c;
    if (read(fd, &c, 1) != 1) _exit(3);
}

int main(int argc, char **argv) {
    char path[4096];
    setvbuf(stdout, NULL, _IONBF, 0);
    snprintf(path, sizeof path, "%s/shared-map-file", argc > 1 ? argv[1] : "/tmp");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[8192];
    memset(page, '.', sizeof page);
    write(fd, page, sizeof page);
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    pid_t pid = fork();
    if (pid == 0) {                     /* the writer: its own descriptor, no mapping of its own */
        munmap(map, 8192);
        int wfd = open(path, O_RDWR);
        pwrite(wfd, "written by pwrite", 17, 100);
        write(to_parent[1], "1", 1);
        step(to_child[0]);
        char buf[32] = {0};
        pread(wfd, buf, 16, 5000);
        printf("child's pread sees the parent's store: [%s]\n", buf);
        ftruncate(wfd, 4096);
        write(to_parent[1], "2", 1);
        step(to_child[0]);
        _exit(0);
    }
    step(to_parent[0]);
    printf("parent's mapping sees the pwrite: [%.17s]\n", map + 100);
    memcpy(map + 5000, "stored in the map", 16);
    write(to_child[1], "1", 1);
    step(to_parent[0]);
    struct stat st;
    fstat(fd, &st);
    printf("after the child's ftruncate: size %lld, first page still mapped: %c\n", (long long)st.st_size, map[0]);
    write(to_child[1], "2", 1);
    int status;
    waitpid(pid, &status, 0);
    munmap(map, 8192);
    char buf[32] = {0};
    pread(fd, buf, 17, 100);
    printf("the file keeps the pwrite: [%s]\n", buf);
    close(fd);
    unlink(path);
    printf("child exit %d\n", WEXITSTATUS(status));
    return 0;
}
