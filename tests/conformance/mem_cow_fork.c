/* fork copies the address space: private memory (globals, heap, stack, anonymous maps) is copy-on-write;
 * MAP_SHARED anonymous memory is shared with the child. */
#include "conf.h"
#include <sys/mman.h>

static int global = 100;
static char bss[1 << 16];

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *heap = malloc(1 << 20);
    memset(heap, 'p', 1 << 20);
    int stack_var = 7;
    char *priv = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int *shared = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (priv == MAP_FAILED || shared == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    memset(priv, 'm', 8 * page);
    bss[100] = 'b';
    shared[0] = 1;

    pid_t pid = xfork();
    if (pid == 0) {
        global = 200;
        heap[0] = 'c'; heap[(1 << 20) - 1] = 'c';
        stack_var = 8;
        priv[0] = 'c'; priv[5 * page] = 'c';
        bss[100] = 'c';
        shared[0] = 2;
        shared[1] = global + stack_var;
        /* the child sees its own writes */
        _exit(global == 200 && heap[0] == 'c' && priv[5 * page] == 'c' && bss[100] == 'c' ? 0 : 1);
    }
    reap("child", pid);
    printf("global: %d\n", global);
    printf("heap: %c%c\n", heap[0], heap[(1 << 20) - 1]);
    printf("stack: %d\n", stack_var);
    printf("private map: %c%c\n", priv[0], priv[5 * page]);
    printf("bss: %c\n", bss[100]);
    printf("shared: %d %d\n", shared[0], shared[1]);

    /* the parent's writes after fork are not seen by a child that already exists */
    int p2c[2];
    MUST(pipe(p2c));
    pid = xfork();
    if (pid == 0) {
        char c;
        close(p2c[1]);
        if (read(p2c[0], &c, 1) != 1) _exit(3);
        _exit(global == 100 && heap[1] == 'p' ? 0 : 1);   /* parent changed them before writing the byte */
    }
    close(p2c[0]);
    global = 300;
    heap[1] = 'q';
    if (write(p2c[1], "x", 1) != 1) printf("write: %s\n", errname(errno));
    close(p2c[1]);
    reap("child after parent writes", pid);

    /* many forks of a dirty heap, each child changes one page */
    int good = 0;
    for (int i = 0; i < 20; i++) {
        pid = xfork();
        if (pid == 0) {
            heap[i * 4096] = 'x';
            _exit(heap[i * 4096] == 'x' && heap[(i + 1) * 4096] == 'p' ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        good += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    int untouched = 1;
    for (int i = 2; i < 21; i++) untouched &= heap[i * 4096] == 'p';
    printf("20 forks: %d ok, parent untouched: %d\n", good, untouched);
    return 0;
}
