/*
 * The memory sampler and the job's process tree (why C and why another core: see abrun.h).
 *
 * A thread pinned to the housekeeping core samples the job every --sample-us (50 µs): the summed
 * RSS of its processes and, when the job has a memory cgroup, the cgroup's charge above what was
 * charged before the run -- which includes what RSS cannot see: tmpfs and memfd pages, unmapped
 * shared memory. Each sample is the larger of the two. The trapezoid area between samples is the
 * memory-time integral.
 *
 * The tree is the job cgroup's member list when there is one (nothing escapes it), the
 * container's member list minus the agent and ourselves in a container, and otherwise every
 * descendant of this supervisor -- which, as a child subreaper, inherits every orphan.
 */
#include "abrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static atomic_int sampler_stopping = 0;
static atomic_int sampler_active = 0;
static pthread_t sampler_thread;
static pthread_mutex_t sampler_lock = PTHREAD_MUTEX_INITIALIZER;
static run_result *current = NULL; /* guarded by sampler_lock */
static int64_t last_t = 0, last_kb = -1, cgroup_base_kb = 0, own_base_bytes = 0;
static int cgroup_memory_fd = -1;
membuf samples_log = {-1, 0};
int samples_enabled = 0;
int64_t reaped_cpu_ns = 0;

static int64_t read_number(int fd) {
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = 0;
    return strtoll(buf, NULL, 10);
}

/* Bytes we hold in memory files ourselves: in a container they are charged to the same cgroup. */
static int64_t own_bytes(void) {
    return opt.container ? out_log.len + err_log.len + test_log.len + samples_log.len : 0;
}

int64_t cgroup_memory_kb(void) {
    if (!opt.cgroup_memory) return -1;
    if (cgroup_memory_fd < 0) cgroup_memory_fd = open(opt.cgroup_memory, O_RDONLY | O_CLOEXEC);
    if (cgroup_memory_fd < 0) return -1;
    int64_t bytes = read_number(cgroup_memory_fd);
    return bytes < 0 ? -1 : bytes / 1024;
}

static int64_t pid_rss_kb(int pid) {
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/statm", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    long size = 0, resident = 0;
    if (sscanf(buf, "%ld %ld", &size, &resident) != 2) return -1;
    return (int64_t)resident * page_kb;
}

static int read_pid_list(const char *path, pid_t *pids, int n, int cap) {
    char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len < 0) return -1;
    buf[len] = 0;
    char *p = buf;
    while (*p && n < cap) {
        char *endp;
        long v = strtol(p, &endp, 10);
        if (endp == p) break;
        p = endp;
        if (v > 0) pids[n++] = (pid_t)v;
        while (*p == ' ' || *p == '\n') p++;
    }
    return n;
}

/* The job's processes (see the header). Never includes this supervisor or, in a container, the
 * agent that started it. */
int collect_pids(pid_t *pids, int cap) {
    pid_t self = getpid(), parent = getppid();
    if (opt.cgroup_procs) {
        int n = read_pid_list(opt.cgroup_procs, pids, 0, cap);
        if (n >= 0) {
            int kept = 0;
            for (int i = 0; i < n; i++)
                if (pids[i] != self && !(opt.container && (pids[i] == parent || pids[i] == 1))) pids[kept++] = pids[i];
            return kept;
        }
    }
    int n = 0;
    pid_t frontier[MAX_TRACKED];
    int nf = 0;
    frontier[nf++] = self;
    for (int i = 0; i < nf && n < cap; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", frontier[i], frontier[i]);
        int before = nf;
        int grown = read_pid_list(path, frontier, nf, MAX_TRACKED);
        if (grown > nf) nf = grown;
        for (int k = before; k < nf && n < cap; k++) pids[n++] = frontier[k];
    }
    return n;
}

static int64_t tree_rss_kb(void) {
    pid_t pids[MAX_TRACKED];
    int n = collect_pids(pids, MAX_TRACKED);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int64_t r = pid_rss_kb(pids[i]);
        if (r > 0) total += r;
    }
    return total;
}

/* Children's CPU that a job process already reaped (it left the tree), in ns (clock ticks). */
static int64_t reaped_children_ns(pid_t pid) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    /* fields after the comm: state(3) ... utime(14) stime(15) cutime(16) cstime(17) */
    long long cutime = 0, cstime = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %lld %lld", &cutime, &cstime) != 2) return 0;
    static long ticks = 0;
    if (!ticks) ticks = sysconf(_SC_CLK_TCK);
    return (cutime + cstime) * (1000000000LL / ticks);
}

/* The CPU every living process of the job has used (precise: the kernel's per-process CPU clock
 * includes the running slice, unlike cgroup counters), plus what dead ones left behind: reaped by
 * a job process (its children's times, tick precision) or by us (wait4 rusage). */
int64_t tree_cpu_ns(void) {
    pid_t pids[MAX_TRACKED];
    int n = collect_pids(pids, MAX_TRACKED);
    int64_t total = reaped_cpu_ns;
    for (int i = 0; i < n; i++) {
        clockid_t clock = ((~(clockid_t)pids[i]) << 3) | 2; /* MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) */
        struct timespec ts;
        if (clock_gettime(clock, &ts) == 0) total += (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        total += reaped_children_ns(pids[i]);
    }
    return total;
}

static void record_sample(int64_t t, int64_t rss_kb, int64_t cgroup_kb) {
    pthread_mutex_lock(&sampler_lock);
    if (current && atomic_load(&sampler_active)) {
        int64_t charged = cgroup_kb >= 0 ? cgroup_kb - cgroup_base_kb - (own_bytes() - own_base_bytes) / 1024 : -1;
        int64_t kb = rss_kb > charged ? rss_kb : charged;
        if (last_kb >= 0 && t > last_t) current->integral_kb_ns += (double)(t - last_t) * (double)(kb + last_kb) / 2.0;
        else if (last_kb < 0 && t > current->start_ns) current->integral_kb_ns += (double)(t - current->start_ns) * (double)kb / 2.0;
        last_t = t;
        last_kb = kb;
        current->samples++;
        if (kb > current->peak_kb) current->peak_kb = kb;
        if (rss_kb > current->peak_rss_kb) current->peak_rss_kb = rss_kb;
        if (charged > current->peak_cgroup_kb) current->peak_cgroup_kb = charged;
        if (samples_enabled) {
            int64_t rec[2] = {t, kb};
            membuf_append(&samples_log, rec, sizeof rec);
        }
        if (opt.memory_kb > 0 && kb > opt.memory_kb && !current->memory_exceeded) {
            current->memory_exceeded = 1;
            kill_tree(0);
        }
    }
    pthread_mutex_unlock(&sampler_lock);
}

static void *sampler_main(void *arg) {
    (void)arg;
    pin_to(opt.sampler_cpu);
    raise_priority(10);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&sampler_stopping)) {
        if (atomic_load(&sampler_active)) {
            int64_t cgroup_kb = cgroup_memory_kb();
            int64_t rss = tree_rss_kb();
            record_sample(now_ns(), rss, cgroup_kb);
        }
        next.tv_nsec += opt.sample_us * 1000;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        struct timespec cur;
        clock_gettime(CLOCK_MONOTONIC, &cur);
        if (cur.tv_sec > next.tv_sec || (cur.tv_sec == next.tv_sec && cur.tv_nsec > next.tv_nsec)) next = cur;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    return NULL;
}

void sampler_start(void) {
    if (samples_enabled) membuf_open(&samples_log, "abrun-samples");
    pthread_create(&sampler_thread, NULL, sampler_main, NULL);
}

void sampler_stop(void) {
    atomic_store(&sampler_stopping, 1);
    pthread_join(sampler_thread, NULL);
}

void sampler_begin(run_result *run, pid_t root, int64_t start_ns) {
    (void)root;
    pthread_mutex_lock(&sampler_lock);
    current = run;
    run->start_ns = start_ns;
    last_kb = -1;
    last_t = start_ns;
    atomic_store(&sampler_active, 1);
    pthread_mutex_unlock(&sampler_lock);
}

/* The charge before a run: what the program must not be billed for. Taken before the fork. */
void sampler_baseline(void) {
    int64_t kb = cgroup_memory_kb();
    pthread_mutex_lock(&sampler_lock);
    cgroup_base_kb = kb > 0 ? kb : 0;
    own_base_bytes = own_bytes();
    pthread_mutex_unlock(&sampler_lock);
}

void sampler_end(run_result *run, int64_t end_ns) {
    pthread_mutex_lock(&sampler_lock);
    atomic_store(&sampler_active, 0);
    if (last_kb >= 0 && end_ns > last_t) run->integral_kb_ns += (double)(end_ns - last_t) * (double)last_kb;
    current = NULL;
    pthread_mutex_unlock(&sampler_lock);
}

/* ---- ending the job ---------------------------------------------------------------------- */
static pid_t current_root = 0;

static void kill_members(void) {
    pid_t pids[MAX_TRACKED];
    int n = collect_pids(pids, MAX_TRACKED);
    for (int i = 0; i < n; i++) kill(pids[i], SIGKILL);
}

/* Everything of the job: the run's process group, every member / descendant. Safe from the
 * sampler thread (memory limit) and the main loop. */
void kill_tree(pid_t root) {
    if (root > 0) current_root = root;
    pid_t r = current_root;
    if (r > 0) {
        kill(-r, SIGKILL);
        kill(r, SIGKILL);
    }
    kill_members();
}

/* After a run nothing may survive: kill and reap (with rusage: an orphan's CPU is the job's)
 * until no child and no member is left. */
void sweep_survivors(pid_t root, run_result *res) {
    int64_t deadline = now_ns() + 2000000000LL;
    for (;;) {
        kill_tree(root);
        int status;
        struct rusage ru;
        pid_t w;
        while ((w = wait4(-1, &status, WNOHANG, &ru)) > 0) {
            int64_t us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                         (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
            if (res) res->orphan_cpu_us += us;
            reaped_cpu_ns += us * 1000;
        }
        pid_t pids[MAX_TRACKED];
        int members = collect_pids(pids, MAX_TRACKED);
        /* WNOWAIT: only asks whether a child is left; reaping here would lose its rusage */
        siginfo_t info;
        errno = 0;
        int no_children = waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
        if (no_children && members == 0) break;
        if (now_ns() > deadline) break;
        usleep(200);
    }
    current_root = 0;
}
