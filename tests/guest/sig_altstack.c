/* A signal frame that cannot be written to the alternate stack (issue 21): Linux forces a SIGSEGV on the
 * thread (si_code SI_KERNEL), whose handler runs on the stack its own flags choose; only when the signal being
 * delivered is SIGSEGV itself does the process die.  With another thread making the alternate stack read-only
 * and writable again between the signals, each signal ends in the handler that Linux runs for it.  (Not while
 * a handler runs there: its own stack writes would fault on Linux too, and that SIGSEGV's frame could not be
 * written either.) */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ALT (64 * 1024)
static volatile int usr1, segv, segv_code;
static char *alt;

static void on_usr1(int sig) { (void)sig; usr1++; }
static void on_segv(int sig, siginfo_t *si, void *uc) { (void)sig; (void)uc; segv++; segv_code = si->si_code; }

static void install(void)
{
    stack_t ss = {.ss_sp = alt, .ss_size = ALT, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigaction sv = {0};
    sv.sa_sigaction = on_segv;
    sv.sa_flags = SA_SIGINFO;                    /* on the ordinary stack */
    sigaction(SIGSEGV, &sv, NULL);
}

/* The other thread changes the alternate stack's protection when asked: read-only on odd requests. */
static int ask[2], done_[2];

static void *toggler(void *arg)
{
    (void)arg;
    char c;
    for (int i = 0; read(ask[0], &c, 1) == 1; i++) {
        mprotect(alt, ALT, i % 2 ? PROT_READ : PROT_READ | PROT_WRITE);
        write(done_[1], "k", 1);
    }
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    alt = mmap(NULL, ALT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    install();
    raise(SIGUSR1);
    printf("writable alternate stack: usr1 %d segv %d\n", usr1, segv);
    mprotect(alt, ALT, PROT_NONE);
    raise(SIGUSR1);
    printf("unwritable: usr1 %d segv %d code %s\n", usr1, segv, segv_code == SI_KERNEL ? "SI_KERNEL" : "other");
    mprotect(alt, ALT, PROT_READ | PROT_WRITE);
    raise(SIGUSR1);
    printf("writable again: usr1 %d segv %d\n", usr1, segv);

    pid_t child = fork();
    if (child == 0) {                            /* SIGSEGV's own frame cannot be written: the process dies */
        struct sigaction sv = {0};
        sv.sa_sigaction = on_segv;
        sv.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sv, NULL);
        mprotect(alt, ALT, PROT_NONE);
        raise(SIGSEGV);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    printf("SIGSEGV on an unwritable alternate stack: killed by SIGSEGV %d\n",
           WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);

    usr1 = segv = 0;
    pipe(ask);
    pipe(done_);
    pthread_t th;
    pthread_create(&th, NULL, toggler, NULL);
    for (int i = 0; i < 20; i++) {
        char c;
        write(ask[1], "t", 1);
        read(done_[0], &c, 1);
        raise(SIGUSR1);
    }
    close(ask[1]);
    pthread_join(th, NULL);
    printf("another thread changing it between signals: usr1 %d segv %d\n", usr1, segv);
    return 0;
}
