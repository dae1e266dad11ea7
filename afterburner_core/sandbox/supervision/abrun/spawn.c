/*
 * Starting one run of the program: fork, limits, cgroup, namespaces, privileges, exec.
 *
 * The child stamps CLOCK_MONOTONIC into a shared page just before execve, so a run's start does not
 * depend on how quickly the supervisor is scheduled after the exec; it also records the CPU it
 * spent on its own set-up (cgroup join, namespaces), which is not the program's.
 */
#include "abrun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

volatile int64_t *exec_stamp = NULL;
static int perf_usable = 1;

/* A user-space instruction counter on `pid`, armed to start at its execve and to follow its
 * children; -1 where the host has no hardware counters (VMs, containers, perf_event_paranoid). */
int open_instruction_counter(pid_t pid) {
    if (!perf_usable) return -1;
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_HARDWARE;
    attr.config = PERF_COUNT_HW_INSTRUCTIONS;
    attr.disabled = 1;
    attr.enable_on_exec = 1;
    attr.inherit = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    int fd = (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) perf_usable = 0;
    return fd;
}

/* A task-clock counter on `pid` and everything it starts (threads, children), armed at its
 * execve. Unlike the per-process CPU clocks, reading it interrupts the core the task runs on and
 * so includes the slice in progress: exact at any instant. -1 where perf events are refused. */
int open_task_clock(pid_t pid) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.disabled = 1;
    attr.enable_on_exec = 1;
    attr.inherit = 1;
    attr.exclude_kernel = 1; /* software clocks count all time anyway; this keeps unprivileged use allowed */
    attr.read_format = 0;
    return (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static void child_fail(int errfd) {
    int e = errno;
    if (write(errfd, &e, sizeof e) < 0) {
    }
    _exit(127);
}

/* Move `fd` to `target`; both may be anything (dup2 of a descriptor onto itself clears nothing,
 * so CLOEXEC is cleared explicitly). */
static int place_fd(int fd, int target) {
    if (fd == target) return fcntl(fd, F_SETFD, 0);
    return dup2(fd, target) < 0 ? -1 : 0;
}

static void child_exec(char **argv, child_fds *fds, int errfd, int gofd, int readyfd, pid_t supervisor) {
    setsid();
    /* Forked from a non-dumpable supervisor, we are not dumpable either, and without root the
     * supervisor could then not attach its counters to us (perf checks ptrace access). Nothing of
     * the supervisor's is left in this process that the program, which replaces it, may not see. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (write(readyfd, "r", 1) < 0) {
    }
    close(readyfd);
    char pidbuf[32];
    int len = snprintf(pidbuf, sizeof pidbuf, "%d\n", getpid());
    for (int i = 0; i < opt.n_cgroup_join; i++) {
        int fd = open(opt.cgroup_join[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pidbuf, len) != len) child_fail(errfd);
        close(fd);
    }
    if (opt.netns) {
        int fd = open(opt.netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) child_fail(errfd);
        close(fd);
    }
    if (jail_enter_child() != 0) child_fail(errfd);
    pin_to(opt.cpu);
    struct rlimit rl = {0, 0};
    setrlimit(RLIMIT_CORE, &rl);
    if (opt.fsize_bytes > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)opt.fsize_bytes;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    if (opt.nproc > 0 && (getuid() != 0 || jail_ns_fd >= 0)) { /* counts the uid's processes */
        rl.rlim_cur = rl.rlim_max = (rlim_t)opt.nproc;
        setrlimit(RLIMIT_NPROC, &rl);
    }
    if (opt.cwd && chdir(opt.cwd) != 0) child_fail(errfd);
    /* Every descriptor the program gets is moved above 9 first, so that placing one cannot
     * clobber another that is still to be placed. */
    int src[5] = {fds->stdin_fd, fds->out_w, fds->err_w, fds->ctl_in, fds->ctl_out};
    int high[5];
    for (int i = 0; i < 5; i++) {
        high[i] = src[i] < 0 ? -1 : fcntl(src[i], F_DUPFD_CLOEXEC, 10);
        if (src[i] >= 0 && high[i] < 0) child_fail(errfd);
    }
    int keep_errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 10), keep_gofd = fcntl(gofd, F_DUPFD_CLOEXEC, 10);
    if (keep_errfd < 0 || keep_gofd < 0) child_fail(errfd);
    errfd = keep_errfd;
    gofd = keep_gofd;
    for (int i = 0; i < 5; i++)
        if (high[i] >= 0 && place_fd(high[i], i) != 0) child_fail(errfd);
    for (int fd = 3; fd < 1024; fd++)
        if (fd != errfd && fd != gofd && !(fd == 3 && high[3] >= 0) && !(fd == 4 && high[4] >= 0)) close(fd);
    if (jail_ns_fd >= 0 && jail_drop_privileges() != 0) child_fail(errfd);
    /* After the uid change, which clears it: the program dies with its supervisor, and if the
     * supervisor is already gone, it does not start. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != supervisor) _exit(127);
    if (opt.seccomp && install_seccomp() != 0) child_fail(errfd);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char go;
    while (read(gofd, &go, 1) < 0 && errno == EINTR) {
    } /* the parent arms the instruction counter first */
    close(gofd);
    if (getpriority(PRIO_PROCESS, 0) < 0 && setpriority(PRIO_PROCESS, 0, 0) != 0) {
    }
    if (exec_stamp) {
        /* CPU spent on our own set-up (cgroup join, setns, ...) is not the program's */
        struct rusage self;
        getrusage(RUSAGE_SELF, &self);
        exec_stamp[1] = (int64_t)self.ru_utime.tv_sec * 1000000 + self.ru_utime.tv_usec;
        exec_stamp[2] = (int64_t)self.ru_stime.tv_sec * 1000000 + self.ru_stime.tv_usec;
        exec_stamp[0] = now_ns();
    }
    execvp(argv[0], argv);
    child_fail(errfd);
}

/* Fork the child; `*exec_error_fd` reports an errno if exec fails (EOF on success), writing a
 * byte to `*go_fd` lets the child exec. Returns the pid or -1. */
pid_t spawn_child(char **argv, child_fds *fds, int *exec_error_fd, int *go_fd) {
    int errp[2], gop[2], readyp[2];
    if (pipe2(errp, O_CLOEXEC) != 0) return -1;
    if (pipe2(gop, O_CLOEXEC) != 0 || pipe2(readyp, O_CLOEXEC) != 0) {
        close(errp[0]);
        close(errp[1]);
        return -1;
    }
    if (exec_stamp) exec_stamp[0] = exec_stamp[1] = exec_stamp[2] = 0;
    pid_t supervisor = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(errp[0]);
        close(gop[1]);
        close(readyp[0]);
        child_exec(argv, fds, errp[1], gop[0], readyp[1], supervisor);
    }
    close(errp[1]);
    close(gop[0]);
    close(readyp[1]);
    if (pid > 0) { /* dumpable now: counters may be attached (EOF if it died first) */
        char ready;
        while (read(readyp[0], &ready, 1) < 0 && errno == EINTR) {
        }
    }
    close(readyp[0]);
    if (pid < 0) {
        int e = errno;
        close(errp[0]);
        close(gop[1]);
        errno = e;
        return -1;
    }
    *exec_error_fd = errp[0];
    *go_fd = gop[1];
    return pid;
}
