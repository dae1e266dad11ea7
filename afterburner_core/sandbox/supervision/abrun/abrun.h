/*
 * abrun: Afterburner's per-job supervisor, memory sampler and test driver (see main.c for the
 * command line and the output format, harness.c for the test protocol, jail.c for isolation).
 *
 * Every figure Afterburner reports is taken here, outside the measured program: wall time from
 * CLOCK_MONOTONIC stamps around exec/exit (program and process-per-test modes) or around each test
 * of an in-process harness (stamped when the harness's messages *arrive here*, never read from the
 * harness); CPU time from the kernel (wait4 rusage, per-process CPU clocks of the whole tree);
 * memory from the kernel (the tree's RSS and the job cgroup's charge, sampled from another core).
 */
#ifndef ABRUN_H
#define ABRUN_H

#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <poll.h>
#include <sys/types.h>

#define MAX_RUNS 4096
#define MAX_TRACKED 512
#define MAX_LIST 64

/* An append-only buffer in an anonymous memory file: outputs and the sample log live here, never
 * behind a path that a program sharing our uid (docker, non-root) could open and rewrite. */
typedef struct {
    int fd;
    int64_t len;
} membuf;

int membuf_open(membuf *b, const char *name);
int membuf_append(membuf *b, const void *data, size_t n);
/* Copy [offset, offset + n) of the buffer to `out`; returns 0 on success. */
int membuf_copy(const membuf *b, int64_t offset, int64_t n, int out);

/* A slice of the shared output buffer. */
typedef struct {
    int64_t offset, len;
} slice;

typedef struct {
    int exit_code, signal_no, spawn_errno;
    int timed_out, output_exceeded, memory_exceeded, stopped, lingered;
    int timed_out_test; /* harness mode: the test that overran its limit (-1: start-up) */
    int cpu_exact;      /* harness mode: test CPU stamps from a task-clock counter (else tick-coarse) */
    int64_t start_ns, end_ns, utime_us, stime_us, orphan_cpu_us, maxrss_kb, startup_ns;
    int64_t out_bytes, err_bytes;
    int64_t samples, peak_kb, peak_rss_kb, peak_cgroup_kb;
    double integral_kb_ns;
    int64_t instructions; /* -1: no hardware counter on this host */
    slice out, err;       /* what was kept of stdout / stderr (up to the output limit) */
} run_result;

/* One test of a harness-mode run, as the supervisor saw it. */
typedef struct {
    int status;                  /* TEST_OK, TEST_ERROR, TEST_OUTPUT_LIMIT */
    int64_t begin_ns, end_ns;    /* GO arrived .. DONE complete */
    int64_t cpu_begin_ns, cpu_end_ns;
    int64_t gap_ns;              /* wall time since the previous test's end (or READY) */
    int64_t gap_cpu_ns;          /* the tree's CPU over that gap (tick precision: see harness.c) */
    int64_t input_bytes;
    slice output, message;
} test_result;

enum { TEST_OK = 0, TEST_ERROR = 1, TEST_OUTPUT_LIMIT = 2 };

typedef struct {
    int cpu, sampler_cpu;
    int64_t timeout_ms, startup_ms, teardown_ms, memory_kb, output_bytes, fsize_bytes, nproc, sample_us;
    const char *cgroup_procs, *cgroup_memory, *netns, *cwd, *inputs_path;
    const char *cgroup_join[MAX_LIST];
    int n_cgroup_join;
    int container;       /* cgroup files are a container's, shared with us and the agent */
    int harness, stop_on_failure, control, stream, samples, ipc_ns, seccomp;
    int jail_uid;        /* >= 0: jail the program as this uid (root only) */
    int jail_keep_cwd;   /* the cwd is real (a compile's staging), not a fresh tmpfs */
    const char *jail_ro[MAX_LIST], *jail_rw[MAX_LIST], *jail_hide[MAX_LIST];
    int n_jail_ro, n_jail_rw, n_jail_hide;
} options;

extern options opt;
extern long page_kb;
extern int jail_ns_fd;
/* Captured output, sliced per run and per test: the runs' stdout, their stderr, and the harness's
 * per-test answers and messages. */
extern membuf out_log, err_log, test_log;

int64_t now_ns(void);
void pin_to(int cpu);
void raise_priority(int prio);
void json_str(FILE *f, const char *s);
int write_all(int fd, const void *data, size_t n);

/* sampler.c */
void sampler_start(void);
void sampler_stop(void);
void sampler_begin(run_result *run, pid_t root, int64_t start_ns);
void sampler_end(run_result *run, int64_t end_ns);
int64_t cgroup_memory_kb(void); /* -1 without a cgroup memory file */
void sampler_baseline(void);    /* before each fork: the charge the run must not be billed for */
int collect_pids(pid_t *pids, int cap);
int64_t tree_cpu_ns(void);      /* CPU of every process of the job (a tick coarse for running ones) */
extern int64_t reaped_cpu_ns;   /* CPU of job processes we reaped ourselves (subreaper) */
extern membuf samples_log;
extern int samples_enabled;
void kill_tree(pid_t root);
void sweep_survivors(pid_t root, run_result *res);

/* jail.c */
int jail_prepare(void);
int jail_enter_child(void);      /* in the child, before exec: setns, IPC namespace */
int jail_drop_privileges(void);
int install_seccomp(void);
int make_netns(const char *path);

/* spawn.c */
typedef struct {
    int stdin_fd;       /* opened by the supervisor, before any namespace is entered */
    int out_w, err_w;   /* the child's stdout / stderr */
    int ctl_in, ctl_out;/* harness mode: fd 3 (tests in) and fd 4 (results out); -1 otherwise */
} child_fds;
pid_t spawn_child(char **argv, child_fds *fds, int *exec_error_fd, int *go_fd);
int open_instruction_counter(pid_t pid);
int open_task_clock(pid_t pid);
extern volatile int64_t *exec_stamp;

/* harness.c */
void run_harness(char **argv, char **inputs, int ninputs, run_result *res, test_result *tests, int *ntests,
                 const char **tampered);

/* main.c: the caller's control channel, signals, and the record stream */
extern atomic_int stop_requested;      /* STOP from the caller: end the sequence now */
extern atomic_int terminate_requested; /* SIGTERM/SIGINT/SIGHUP or the caller died: end everything */
int add_watch_fds(struct pollfd *pf, int n);
void check_watch_fds(struct pollfd *pf, int from, int n);
void emit_test_record(int index, const test_result *t);

#endif
