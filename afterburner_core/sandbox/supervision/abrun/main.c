/*
 * abrun main: the command line, process-mode runs, the caller's control channel and the output.
 *
 * usage: abrun [options] --inputs FILE -- argv...
 *   --inputs FILE       one input path per line: one run per line (program / process-per-test
 *                       mode), or the tests of a --harness run
 *   --harness           argv is a test harness speaking the protocol of harness.c
 *   --timeout-ms N      wall limit per run, or per test in harness mode
 *   --startup-ms N      harness mode: how long the harness may take to say READY
 *   --teardown-ms N     harness mode: how long it may take to exit after its last test
 *   --memory-kb N --output-bytes N --fsize-bytes N --nproc N --sample-us N
 *   --cpu N --sampler-cpu N             the measured core; the housekeeping core
 *   --cgroup-join FILE (repeatable) --cgroup-procs FILE --cgroup-memory FILE
 *   --container         the cgroup files are a container's (shared with us and the agent)
 *   --netns PATH --cwd DIR --ipc-ns --seccomp
 *   --jail-uid N --jail-ro PATH --jail-rw PATH --jail-hide PATH --jail-keep-cwd (jail.c)
 *   --stop-on-failure   end the sequence after a run or test that failed
 *   --control           read commands from stdin: "STOP" ends the sequence at once
 *   --stream            write each record as soon as it is complete (else all at the end)
 *   --samples           append the sampler's log (int64 t_ns, kb pairs) after the report
 *   --make-netns PATH | --jail-probe
 *
 * Output (stdout): records, each a JSON line followed by the raw bytes its lengths announce --
 *   {"type":"run", ...,"out_len":N,"err_len":M}      + N bytes of stdout + M of stderr
 *   {"type":"test","index":i, ...,"output_len":N,"message_len":M} + N + M bytes (harness mode)
 * then {"type":"report", ...} and, with --samples, the sample log to EOF. Nothing the program can
 * write reaches this stream except through those byte counts.
 *
 * Ending: SIGTERM, SIGINT and SIGHUP -- and the death of our caller (PR_SET_PDEATHSIG) -- kill the
 * whole job, remove the cgroup directories we were given and exit 143 without a report.
 */
#include "abrun.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

options opt = {.cpu = -1, .sampler_cpu = -1, .timeout_ms = 10000, .startup_ms = 10000, .teardown_ms = 2000,
               .output_bytes = 64 << 20, .sample_us = 50, .jail_uid = -1};
long page_kb = 4;
membuf out_log = {-1, 0}, err_log = {-1, 0}, test_log = {-1, 0};
atomic_int stop_requested = 0, terminate_requested = 0;
static int signal_fd = -1, control_open = 0;
static char control_line[64];
static int control_len = 0;
static int record_fd = 1;

/* ---- small helpers ------------------------------------------------------------------------ */
int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void pin_to(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/* Real-time priority (when permitted) keeps the supervisor's and sampler's wake-ups prompt even
 * when the housekeeping core is busy; SCHED_RESET_ON_FORK gives the program the normal policy. */
void raise_priority(int prio) {
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
    struct sched_param sp = {.sched_priority = prio};
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) {
        if (setpriority(PRIO_PROCESS, 0, -10) != 0) {
        }
    }
}

void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

int write_all(int fd, const void *data, size_t n) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int membuf_open(membuf *b, const char *name) {
    b->fd = (int)syscall(SYS_memfd_create, name, 1u /* MFD_CLOEXEC */);
    b->len = 0;
    return b->fd >= 0 ? 0 : -1;
}

int membuf_append(membuf *b, const void *data, size_t n) {
    if (b->fd < 0 || n == 0) return 0;
    const char *p = data;
    while (n > 0) {
        ssize_t w = pwrite(b->fd, p, n, b->len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
        b->len += w;
    }
    return 0;
}

int membuf_copy(const membuf *b, int64_t offset, int64_t n, int out) {
    off_t at = (off_t)offset;
    while (n > 0) {
        ssize_t w = sendfile(out, b->fd, &at, (size_t)n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        n -= w;
    }
    return 0;
}

/* ---- the caller's control channel and signals --------------------------------------------- */
int add_watch_fds(struct pollfd *pf, int n) {
    if (signal_fd >= 0) pf[n++] = (struct pollfd){signal_fd, POLLIN, 0};
    if (control_open) pf[n++] = (struct pollfd){0, POLLIN, 0};
    return n;
}

void check_watch_fds(struct pollfd *pf, int from, int n) {
    for (int i = from; i < n; i++) {
        if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        if (pf[i].fd == signal_fd) {
            struct signalfd_siginfo info;
            if (read(signal_fd, &info, sizeof info) > 0) atomic_store(&terminate_requested, 1);
        } else if (pf[i].fd == 0) {
            char buf[64];
            ssize_t got = read(0, buf, sizeof buf);
            if (got <= 0) {
                control_open = 0; /* no more commands; not a request to stop */
                continue;
            }
            for (ssize_t k = 0; k < got; k++) {
                if (buf[k] != '\n') {
                    if (control_len < (int)sizeof control_line - 1) control_line[control_len++] = buf[k];
                    continue;
                }
                control_line[control_len] = 0;
                control_len = 0;
                if (!strcmp(control_line, "STOP")) atomic_store(&stop_requested, 1);
            }
        }
    }
}

/* ---- records ------------------------------------------------------------------------------ */
static FILE *records;

static void emit_payload(const membuf *b, slice s) {
    fflush(records);
    if (s.len > 0) membuf_copy(b, s.offset, s.len, record_fd);
}

static void emit_run_record(int index, const run_result *r) {
    fprintf(records, "{\"type\":\"run\",\"index\":%d,\"exit_code\":%d,\"signal\":%d,\"spawn_error\":", index,
            r->exit_code, r->signal_no);
    if (r->spawn_errno) json_str(records, strerror(r->spawn_errno));
    else fputs("null", records);
    fprintf(records,
            ",\"timed_out\":%s,\"timed_out_test\":%d,\"output_exceeded\":%s,\"memory_exceeded\":%s,\"stopped\":%s,"
            "\"lingered\":%s,\"cpu_exact\":%s,\"start_ns\":%lld,\"end_ns\":%lld,\"startup_ns\":%lld,\"utime_us\":%lld,\"stime_us\":%lld,"
            "\"orphan_cpu_us\":%lld,\"maxrss_kb\":%lld,\"stdout_bytes\":%lld,\"stderr_bytes\":%lld,\"samples\":%lld,"
            "\"peak_sampled_kb\":%lld,\"peak_rss_kb\":%lld,\"peak_cgroup_kb\":%lld,\"integral_kb_ns\":%.1f,"
            "\"instructions\":%lld,\"out_len\":%lld,\"err_len\":%lld}\n",
            r->timed_out ? "true" : "false", r->timed_out_test, r->output_exceeded ? "true" : "false",
            r->memory_exceeded ? "true" : "false", r->stopped ? "true" : "false", r->lingered ? "true" : "false", r->cpu_exact ? "true" : "false",
            (long long)r->start_ns, (long long)r->end_ns, (long long)r->startup_ns, (long long)r->utime_us,
            (long long)r->stime_us, (long long)r->orphan_cpu_us, (long long)r->maxrss_kb, (long long)r->out_bytes,
            (long long)r->err_bytes, (long long)r->samples, (long long)r->peak_kb, (long long)r->peak_rss_kb,
            (long long)r->peak_cgroup_kb, r->integral_kb_ns, (long long)r->instructions, (long long)r->out.len,
            (long long)r->err.len);
    emit_payload(&out_log, r->out);
    emit_payload(&err_log, r->err);
}

static const char *STATUS_NAMES[] = {"ok", "error", "output_limit"};

static void write_test_record(int index, const test_result *t) {
    fprintf(records,
            "{\"type\":\"test\",\"index\":%d,\"status\":\"%s\",\"begin_ns\":%lld,\"end_ns\":%lld,\"cpu_begin_ns\":%lld,"
            "\"cpu_end_ns\":%lld,\"gap_ns\":%lld,\"gap_cpu_ns\":%lld,\"input_bytes\":%lld,\"output_len\":%lld,"
            "\"message_len\":%lld}\n",
            index, STATUS_NAMES[t->status], (long long)t->begin_ns, (long long)t->end_ns, (long long)t->cpu_begin_ns,
            (long long)t->cpu_end_ns, (long long)t->gap_ns, (long long)t->gap_cpu_ns, (long long)t->input_bytes,
            (long long)t->output.len,
            (long long)t->message.len);
    emit_payload(&test_log, t->output);
    emit_payload(&test_log, t->message);
}

/* Streamed at once (the caller may evaluate and STOP us), or kept for the end (in a container
 * the agent buffers our output in memory that is charged to the program's cgroup). */
void emit_test_record(int index, const test_result *t) {
    if (opt.stream) {
        write_test_record(index, t);
        fflush(records);
    }
}

/* ---- process mode ------------------------------------------------------------------------- */
static void pump(int fd, membuf *sink, int64_t *count) {
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        int64_t room = opt.output_bytes - *count;
        if (room > 0) membuf_append(sink, buf, n < room ? (size_t)n : (size_t)room);
        *count += n;
    }
}

static void do_run(const char *input, char **argv, run_result *res) {
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    res->instructions = -1;
    res->timed_out_test = -1;
    res->out.offset = out_log.len;
    res->err.offset = err_log.len;
    int outp[2], errp[2];
    int in = open(input, O_RDONLY | O_CLOEXEC);
    if (in < 0 || pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        res->spawn_errno = errno;
        if (in >= 0) close(in);
        return;
    }
    child_fds fds = {in, outp[1], errp[1], -1, -1};
    sampler_baseline();
    int exec_err = -1, go = -1;
    pid_t pid = spawn_child(argv, &fds, &exec_err, &go);
    close(in);
    close(outp[1]);
    close(errp[1]);
    if (pid < 0) {
        res->spawn_errno = errno;
        close(outp[0]);
        close(errp[0]);
        return;
    }
    int counter = open_instruction_counter(pid);
    if (write(go, "g", 1) < 0) {
    }
    close(go);
    int child_errno = 0;
    ssize_t r;
    do r = read(exec_err, &child_errno, sizeof child_errno); while (r < 0 && errno == EINTR);
    close(exec_err);
    int64_t start = now_ns();
    if (exec_stamp && *exec_stamp > 0 && *exec_stamp <= start) start = *exec_stamp;
    if (r > 0) res->spawn_errno = child_errno;
    else sampler_begin(res, pid, start);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int64_t deadline = start + opt.timeout_ms * 1000000LL;
    int out_open = 1, err_open = 1, exited = 0, status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (!exited) {
        struct pollfd pf[6];
        int n = 0;
        if (pidfd >= 0) pf[n++] = (struct pollfd){pidfd, POLLIN, 0};
        int io = n;
        if (out_open) pf[n++] = (struct pollfd){outp[0], POLLIN, 0};
        if (err_open) pf[n++] = (struct pollfd){errp[0], POLLIN, 0};
        int watch = n;
        n = add_watch_fds(pf, n);
        int64_t left = deadline - now_ns();
        int wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        if (pidfd < 0 && wait_ms > 1) wait_ms = 1;
        poll(pf, (nfds_t)n, wait_ms);
        check_watch_fds(pf, watch, n);
        for (int i = io; i < watch; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int is_out = pf[i].fd == outp[0];
            int64_t *count = is_out ? &res->out_bytes : &res->err_bytes;
            int64_t before = *count;
            pump(pf[i].fd, is_out ? &out_log : &err_log, count);
            if (*count == before) {
                if (is_out) out_open = 0;
                else err_open = 0;
            }
        }
        if (res->out_bytes + res->err_bytes > opt.output_bytes && !res->output_exceeded) {
            res->output_exceeded = 1;
            kill_tree(pid);
        }
        if ((atomic_load(&stop_requested) || atomic_load(&terminate_requested)) && !res->stopped) {
            res->stopped = 1;
            kill_tree(pid);
        }
        struct rusage cru;
        pid_t w;
        while ((w = wait4(-1, &status, WNOHANG, &cru)) > 0) {
            if (w == pid) {
                ru = cru;
                exited = 1;
            } else {
                int64_t us = (int64_t)cru.ru_utime.tv_sec * 1000000 + cru.ru_utime.tv_usec +
                             (int64_t)cru.ru_stime.tv_sec * 1000000 + cru.ru_stime.tv_usec;
                res->orphan_cpu_us += us;
                reaped_cpu_ns += us * 1000;
            }
        }
        if (exited) break;
        if (now_ns() >= deadline && !res->timed_out) {
            res->timed_out = 1;
            kill_tree(pid);
        }
    }
    int64_t end = now_ns();
    if (r <= 0) sampler_end(res, end);
    res->end_ns = end;
    if (pidfd >= 0) close(pidfd);
    if (counter >= 0) {
        uint64_t value = 0;
        if (read(counter, &value, sizeof value) == sizeof value) res->instructions = (int64_t)value;
        close(counter);
    }
    sweep_survivors(pid, res);
    /* drain what the (now dead) tree left in the pipes */
    for (int k = 0; k < 2; k++) {
        int fd = k == 0 ? outp[0] : errp[0];
        int still = k == 0 ? out_open : err_open;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        int64_t *count = k == 0 ? &res->out_bytes : &res->err_bytes;
        for (int64_t before = -1; still && before != *count;) {
            before = *count;
            pump(fd, k == 0 ? &out_log : &err_log, count);
        }
        close(fd);
    }
    res->out.len = out_log.len - res->out.offset;
    res->err.len = err_log.len - res->err.offset;
    if (res->out_bytes + res->err_bytes > opt.output_bytes) res->output_exceeded = 1;
    if (WIFEXITED(status)) res->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) res->signal_no = WTERMSIG(status);
    res->utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
    res->stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    if (exec_stamp && exec_stamp[0] > 0) {
        res->utime_us = res->utime_us > exec_stamp[1] ? res->utime_us - exec_stamp[1] : 0;
        res->stime_us = res->stime_us > exec_stamp[2] ? res->stime_us - exec_stamp[2] : 0;
    }
    res->maxrss_kb = ru.ru_maxrss;
}

/* ---- main --------------------------------------------------------------------------------- */
static int load_inputs(const char *path, char **inputs) {
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0 && n < MAX_RUNS) {
        if (line[len - 1] == '\n') line[len - 1] = 0;
        if (line[0]) inputs[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    return n;
}

/* The caller is gone or asked us to end: nothing of the job may outlive us. */
static void remove_cgroups(void) {
    for (int i = 0; i < opt.n_cgroup_join; i++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", opt.cgroup_join[i]);
        char *slash = strrchr(dir, '/');
        if (!slash) continue;
        *slash = 0;
        for (int tries = 0; tries < 50 && rmdir(dir) != 0 && errno == EBUSY; tries++) usleep(1000);
    }
}

static void add(const char **list, int *n, const char *value) {
    if (*n < MAX_LIST) list[(*n)++] = value;
}

int main(int argc, char **argv) {
    pid_t caller = getppid();
    static struct option longopts[] = {
        {"cpu", required_argument, 0, 'c'},           {"sampler-cpu", required_argument, 0, 's'},
        {"timeout-ms", required_argument, 0, 't'},    {"startup-ms", required_argument, 0, 'T'},
        {"teardown-ms", required_argument, 0, 'D'},   {"memory-kb", required_argument, 0, 'm'},
        {"output-bytes", required_argument, 0, 'o'},  {"fsize-bytes", required_argument, 0, 'f'},
        {"nproc", required_argument, 0, 'p'},         {"sample-us", required_argument, 0, 'u'},
        {"cgroup-join", required_argument, 0, 'j'},   {"cgroup-procs", required_argument, 0, 'g'},
        {"cgroup-memory", required_argument, 0, 'M'}, {"container", no_argument, 0, 'C'},
        {"netns", required_argument, 0, 'n'},         {"cwd", required_argument, 0, 'w'},
        {"inputs", required_argument, 0, 'i'},        {"harness", no_argument, 0, 'H'},
        {"stop-on-failure", no_argument, 0, 'F'},     {"control", no_argument, 0, 'X'},
        {"stream", no_argument, 0, 'R'},              {"samples", no_argument, 0, 'S'},
        {"ipc-ns", no_argument, 0, 'I'},              {"seccomp", no_argument, 0, 'Z'},
        {"jail-uid", required_argument, 0, 'U'},      {"jail-ro", required_argument, 0, 'O'},
        {"jail-rw", required_argument, 0, 'B'},       {"jail-hide", required_argument, 0, 'h'},
        {"jail-keep-cwd", no_argument, 0, 'K'},       {"jail-probe", no_argument, 0, 'P'},
        {"make-netns", required_argument, 0, 'N'},    {0, 0, 0, 0}};
    int probe = 0, c;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': opt.cpu = atoi(optarg); break;
        case 's': opt.sampler_cpu = atoi(optarg); break;
        case 't': opt.timeout_ms = atoll(optarg); break;
        case 'T': opt.startup_ms = atoll(optarg); break;
        case 'D': opt.teardown_ms = atoll(optarg); break;
        case 'm': opt.memory_kb = atoll(optarg); break;
        case 'o': opt.output_bytes = atoll(optarg); break;
        case 'f': opt.fsize_bytes = atoll(optarg); break;
        case 'p': opt.nproc = atoll(optarg); break;
        case 'u': opt.sample_us = atoll(optarg); break;
        case 'j': add(opt.cgroup_join, &opt.n_cgroup_join, optarg); break;
        case 'g': opt.cgroup_procs = optarg; break;
        case 'M': opt.cgroup_memory = optarg; break;
        case 'C': opt.container = 1; break;
        case 'n': opt.netns = optarg; break;
        case 'w': opt.cwd = optarg; break;
        case 'i': opt.inputs_path = optarg; break;
        case 'H': opt.harness = 1; break;
        case 'F': opt.stop_on_failure = 1; break;
        case 'X': opt.control = 1; break;
        case 'R': opt.stream = 1; break;
        case 'S': samples_enabled = 1; break;
        case 'I': opt.ipc_ns = 1; break;
        case 'Z': opt.seccomp = 1; break;
        case 'U': opt.jail_uid = atoi(optarg); break;
        case 'O': add(opt.jail_ro, &opt.n_jail_ro, optarg); break;
        case 'B': add(opt.jail_rw, &opt.n_jail_rw, optarg); break;
        case 'h': add(opt.jail_hide, &opt.n_jail_hide, optarg); break;
        case 'K': opt.jail_keep_cwd = 1; break;
        case 'P': probe = 1; break;
        case 'N': return make_netns(optarg);
        default: fprintf(stderr, "abrun: bad option\n"); return 2;
        }
    }
    /* Not dumpable: a program running as our uid cannot ptrace us or open our /proc fds. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (probe) {
        if (opt.jail_uid < 0) opt.jail_uid = 65534;
        return geteuid() == 0 && jail_prepare() == 0 ? 0 : 1;
    }
    if (optind >= argc || !opt.inputs_path) {
        fprintf(stderr, "usage: abrun [options] --inputs FILE -- argv...\n");
        return 2;
    }
    /* We die with our caller, and take the job with us (see the header). */
    sigset_t ending;
    sigemptyset(&ending);
    sigaddset(&ending, SIGTERM);
    sigaddset(&ending, SIGINT);
    sigaddset(&ending, SIGHUP);
    sigprocmask(SIG_BLOCK, &ending, NULL); /* before any thread: the sampler inherits the mask */
    signal_fd = signalfd(-1, &ending, SFD_CLOEXEC | SFD_NONBLOCK);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != caller) return 143;
    control_open = opt.control;
    if (control_open) fcntl(0, F_SETFL, O_NONBLOCK);
    if (opt.sample_us < 1) opt.sample_us = 1;
    static char *inputs[MAX_RUNS];
    int ninputs = load_inputs(opt.inputs_path, inputs);
    if (ninputs < 0 || (!opt.harness && ninputs == 0)) {
        fprintf(stderr, "abrun: no inputs in %s\n", opt.inputs_path);
        return 2;
    }
    /* Jailing is for root; elsewhere the program already runs unprivileged (docs/threat-model.md). */
    if (opt.jail_uid >= 0 && geteuid() == 0 && jail_prepare() != 0) {
        fprintf(stderr, "abrun: could not build the jail\n");
        return 3;
    }
    if (geteuid() != 0) opt.ipc_ns = 0; /* a new IPC namespace needs CAP_SYS_ADMIN */
    page_kb = sysconf(_SC_PAGESIZE) / 1024;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    pin_to(opt.sampler_cpu); /* the supervisor stays off the measured core too */
    exec_stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (exec_stamp == MAP_FAILED) exec_stamp = NULL;
    raise_priority(11);
    if (membuf_open(&out_log, "abrun-stdout") || membuf_open(&err_log, "abrun-stderr") ||
        membuf_open(&test_log, "abrun-tests")) {
        fprintf(stderr, "abrun: memfd_create: %s\n", strerror(errno));
        return 3;
    }
    records = stdout;
    record_fd = fileno(stdout);
    sampler_start();
    static run_result results[MAX_RUNS];
    static test_result tests[MAX_RUNS];
    int ntests = 0, nruns = 0;
    const char *tampered = NULL;
    int64_t t0 = now_ns();
    if (opt.harness) {
        run_harness(argv + optind, inputs, ninputs, &results[0], tests, &ntests, &tampered);
        nruns = 1;
    } else {
        for (int i = 0; i < ninputs; i++) {
            do_run(inputs[i], argv + optind, &results[i]);
            nruns = i + 1;
            run_result *r = &results[i];
            if (opt.stream) {
                emit_run_record(i, r);
                fflush(records);
            }
            int failed = r->timed_out || r->output_exceeded || r->memory_exceeded || r->signal_no || r->exit_code != 0;
            if (r->spawn_errno || r->stopped || (opt.stop_on_failure && failed) || atomic_load(&stop_requested) ||
                atomic_load(&terminate_requested))
                break;
        }
    }
    sampler_stop();
    if (atomic_load(&terminate_requested)) {
        remove_cgroups();
        return 143;
    }
    if (!opt.stream) {
        for (int i = 0; i < ntests; i++) write_test_record(i, &tests[i]);
    }
    if (!opt.stream || opt.harness)
        for (int i = 0; i < nruns; i++) emit_run_record(i, &results[i]);
    fprintf(records, "{\"type\":\"report\",\"supervisor_ns\":%lld,\"sample_us\":%lld,\"jailed\":%s,\"tampered\":",
            (long long)(now_ns() - t0), (long long)opt.sample_us, jail_ns_fd >= 0 ? "true" : "false");
    if (tampered) json_str(records, tampered);
    else fputs("null", records);
    fputs("}\n", records);
    fflush(records);
    if (samples_enabled) membuf_copy(&samples_log, 0, samples_log.len, record_fd);
    return 0;
}
