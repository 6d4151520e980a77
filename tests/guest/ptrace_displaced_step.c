/* ptrace: what gdb's displaced stepping does, at the ptrace level.  The tracer writes an instruction into its
 * tracee's memory (PTRACE_POKETEXT and a /proc/PID/mem pwrite, as gdb does), points the tracee's pc at it,
 * single-steps it and reads the memory back -- at an address where the tracer itself has a data page (not
 * executable), where it has nothing mapped, and in the program text the two share since the fork.  The tracer
 * goes on running its own code and reading its own memory afterwards: nothing of the tracee's step may leak
 * into it (pynix once dropped the step's translated code through the tracer's page tables, and the tracer died
 * of a fault later).  Output is the same on every ISA. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/ptrace.h>

#if defined(__x86_64__)
#define REG_PC(r) ((r).rip)
static const unsigned long NOPS = 0x9090909090909090UL;     /* nop x 8 */
#define NOP_SIZE 1
#else
#define REG_PC(r) ((r).pc)
static const unsigned long NOPS = 0x0000001300000013UL;     /* addi x0, x0, 0 x 2 */
#define NOP_SIZE 4
#endif

#define PAD ((char *)0x200000000UL)     /* the tracee's scratch pad, free in both at the fork */

__attribute__((noinline)) static long shared_text(long x) { return x * 7 + 3; }

static void child(void)
{
    if (mmap(PAD, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
        == MAP_FAILED)
        _exit(20);
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    printf("tracee: shared text still works: %ld\n", shared_text(6));
    fflush(stdout);
    _exit(0);
}

static int regs(pid_t pid, struct user_regs_struct *r, int set)
{
    struct iovec iov = { r, sizeof *r };
    return ptrace(set ? PTRACE_SETREGSET : PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov);
}

/* gdb's displaced step: save the pad and the registers, write the instruction, step it from the pad, check
 * where the pc went and what the pad holds, put the pad and the registers back. */
static void displaced_step(pid_t pid, char *at, int through_proc_mem, const char *what)
{
    struct user_regs_struct saved, r;
    regs(pid, &saved, 0);
    errno = 0;
    long old = ptrace(PTRACE_PEEKTEXT, pid, at, 0);
    int peek_ok = errno == 0;
    long poke = 0;
    if (through_proc_mem) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", pid);
        int fd = open(path, O_RDWR);
        poke = pwrite(fd, &NOPS, sizeof NOPS, (off_t)(uintptr_t)at) == sizeof NOPS ? 0 : -1;
        close(fd);
    } else
        poke = ptrace(PTRACE_POKETEXT, pid, at, (void *)NOPS);
    r = saved;
    REG_PC(r) = (unsigned long)at;
    regs(pid, &r, 1);
    int status;
    long step = ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
    waitpid(pid, &status, 0);
    siginfo_t si;
    ptrace(PTRACE_GETSIGINFO, pid, 0, &si);
    regs(pid, &r, 0);
    long back = ptrace(PTRACE_PEEKTEXT, pid, at, 0);
    printf("%s: peek %d, poke %ld, step %ld, %s with %s code %d, pc moved by one instruction %d, "
           "reads back %d\n", what, peek_ok, poke, step, WIFSTOPPED(status) ? "stopped" : "not stopped",
           WIFSTOPPED(status) && WSTOPSIG(status) == SIGTRAP ? "SIGTRAP" : "another signal", si.si_code,
           REG_PC(r) == (unsigned long)at + NOP_SIZE, back == (long)NOPS);
    ptrace(PTRACE_POKETEXT, pid, at, (void *)old);
    regs(pid, &saved, 1);
}

/* The tracer's own code and memory, after the tracee's step: calls, syscalls and page touches, long enough
 * for a stale translation or fault to show. */
static long tracer_runs_on(const char *pad, long expect)
{
    long sum = 0;
    for (int i = 0; i < 2000; i++) {
        sum += shared_text(i) - 7 * i - 3;
        sum += getppid() > 0 ? 0 : 1;
        if (pad != NULL)
            sum += pad[i] != (char)expect;
    }
    return sum;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = fork();
    if (pid == 0)
        child();
    int status;
    waitpid(pid, &status, 0);

    /* 1. the pad is the tracer's data page, readable and writable but not executable */
    char *mine = mmap(PAD, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    memset(mine, 'x', 4096);
    displaced_step(pid, PAD, 0, "poketext into a pad the tracer maps as data");
    printf("  tracer's data page intact %d, tracer runs on: %ld mismatches\n",
           mine[0] == 'x' && mine[4095] == 'x', tracer_runs_on(mine, 'x'));
    displaced_step(pid, PAD, 1, "/proc/PID/mem into the same pad");
    printf("  tracer runs on: %ld mismatches\n", tracer_runs_on(mine, 'x'));

    /* 2. the tracer has nothing at the pad */
    munmap(mine, 4096);
    displaced_step(pid, PAD, 0, "poketext into a pad the tracer does not map");
    printf("  tracer runs on: %ld mismatches\n", tracer_runs_on(NULL, 0));

    /* 3. program text both map from the same file page */
    unsigned long before = *(volatile unsigned long *)(uintptr_t)shared_text;
    displaced_step(pid, (char *)(uintptr_t)shared_text, 0, "poketext into text shared with the tracer");
    printf("  tracer's own text unchanged %d, tracer runs on: %ld mismatches\n",
           *(volatile unsigned long *)(uintptr_t)shared_text == before, tracer_runs_on(NULL, 0));
    displaced_step(pid, (char *)(uintptr_t)shared_text, 1, "/proc/PID/mem into the shared text");
    printf("  tracer's own text unchanged %d, tracer runs on: %ld mismatches\n",
           *(volatile unsigned long *)(uintptr_t)shared_text == before, tracer_runs_on(NULL, 0));

    ptrace(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    printf("tracee %s %d\n", WIFEXITED(status) ? "exited" : "killed", WIFEXITED(status) ? WEXITSTATUS(status)
           : WTERMSIG(status));
    return 0;
}
