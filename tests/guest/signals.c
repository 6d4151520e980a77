/* Signals: SA_SIGINFO handler fields, FP state kept across a handler, blocking and pending, SIGSEGV handler +
 * siglongjmp, EINTR from a pipe read interrupted by alarm (no SA_RESTART), death by signal, EPIPE when SIGPIPE is
 * ignored and death by SIGPIPE when not. */
#include <stdio.h>
#include <signal.h>
#include <unistd.h>
#include <setjmp.h>
#include <string.h>
#include <errno.h>
#include <sys/wait.h>
static volatile int got; static sigjmp_buf jb;
static void h(int s, siginfo_t *si, void *uc){ got = s * 1000 + si->si_code + (si->si_pid == getpid()); }
static void segv(int s, siginfo_t *si, void *uc){ siglongjmp(jb, si->si_addr == (void *)16 ? 2 : 3)  /* the faulting address itself */; }
static void alrm(int s){ got = 14; }
int main(){ struct sigaction sa; memset(&sa,0,sizeof sa); sa.sa_sigaction=h; sa.sa_flags=SA_SIGINFO; sigaction(SIGUSR1,&sa,0);
 kill(getpid(), SIGUSR1); printf("handler: %d\n", got);
 double d = 1.5; raise(SIGUSR1); printf("fp preserved: %g\n", d*2);
 sigset_t s, o; sigemptyset(&s); sigaddset(&s, SIGUSR1); sigprocmask(SIG_BLOCK,&s,&o); got=0; kill(getpid(),SIGUSR1); printf("blocked: %d\n", got);
 sigpending(&o); printf("pending: %d\n", sigismember(&o, SIGUSR1)); sigprocmask(SIG_UNBLOCK,&s,0); printf("unblocked: %d\n", got);
 struct sigaction sb; memset(&sb,0,sizeof sb); sb.sa_sigaction=segv; sb.sa_flags=SA_SIGINFO; sigaction(SIGSEGV,&sb,0);
 int r = sigsetjmp(jb,1); if(!r){ *(volatile int*)16 = 1; } printf("segv longjmp: %d\n", r);
 struct sigaction sc; memset(&sc,0,sizeof sc); sc.sa_handler=alrm; sigaction(SIGALRM,&sc,0); int p[2]; pipe(p); alarm(1); char c; errno=0; ssize_t n = read(p[0],&c,1); int e=errno; printf("read interrupted: %zd %s got=%d\n", n, e==EINTR?"EINTR":"?", got);
 pid_t pid = fork(); if(!pid){ pause(); _exit(0);} kill(pid, SIGTERM); int st; waitpid(pid,&st,0); printf("child killed: %d %d\n", WIFSIGNALED(st), WTERMSIG(st));
 signal(SIGPIPE, SIG_IGN); close(p[0]); errno=0; n = write(p[1], "x", 1); e=errno; printf("epipe: %zd %s\n", n, e==EPIPE?"EPIPE":"?");
 signal(SIGPIPE, SIG_DFL); pid = fork(); if(!pid){ write(p[1],"x",1); _exit(0);} waitpid(pid,&st,0); printf("sigpipe child: %d\n", WTERMSIG(st));
 return 0; }
