/*
 * abrun: Afterburner's per-job supervisor and memory sampler.
 *
 * Why C: the measurement must be quiet and fast. The original Monolith sampled memory from a bash
 * loop that forked `date` and `awk` per sample on the measured core (~550 Hz idle, far less when
 * busy, and it slowed the program). abrun samples the whole process tree from a thread pinned to
 * a *different* core at >= 10 kHz, times each run with CLOCK_MONOTONIC from the moment exec()
 * succeeded (CLOEXEC pipe) to wait4(), and takes CPU time and peak RSS from the kernel (rusage).
 *
 * One invocation runs the same argv once per line of --runs (each line: stdin, stdout and stderr
 * paths, tab separated), sequentially, under the same limits, and prints one JSON object.
 *
 * Limits: wall timeout per run (kills the whole tree: process group, the cgroup's procs file when
 * given, and every descendant re-parented to us as a child subreaper), memory (sampled tree RSS,
 * on top of a cgroup limit set by the caller), combined stdout+stderr bytes, file size, pids
 * (RLIMIT_NPROC fallback), core dumps off. Network: --netns PATH joins a prepared empty network
 * namespace. --make-netns PATH creates one (root only) and exits. --stop-on-failure ends the
 * sequence after a run that exits non-zero, dies of a signal or breaks a limit.
 *
 * Jail (--jail-uid N, root only; docs/threat-model.md): the program runs as uid/gid N with no
 * capabilities (bounding set emptied, PR_SET_NO_NEW_PRIVS) in a private mount namespace built once
 * per invocation in which every mount is read-only, /tmp, /var/tmp and /dev/shm are fresh
 * size-limited tmpfs, the working directory is a private tmpfs, root's home is an empty tmpfs with
 * its entries bound back read-only (so toolchains stay reachable and private files keep their own
 * modes), /proc is a new instance with hidepid=2 (other uids' processes are invisible), and the
 * --jail-scratch directory is bound back read-write (only the --jail-writable directories in it are
 * writable to uid N: sticky, mode 1777). Output files are opened without following symlinks.
 * The supervisor itself is not dumpable, so a program of the same uid could not ptrace it anyway.
 *
 * Build: cc -O2 -pthread -o abrun abrun.c   (the Python side does this once and caches it)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 4096
#define MAX_TRACKED 512

typedef struct {
    char *in, *out, *err;
} run_spec;

typedef struct {
    int exit_code, signal_no, spawn_errno;
    int timed_out, output_exceeded, memory_exceeded;
    int64_t start_ns, end_ns, utime_us, stime_us, maxrss_kb;
    int64_t out_bytes, err_bytes;
    int64_t samples, peak_kb;
    double integral_kb_ns;
    int64_t instructions; /* -1: no hardware counter on this host */
} run_result;

/* ---- options ---- */
static int opt_cpu = -1, opt_sampler_cpu = -1;
static int64_t opt_timeout_ms = 10000, opt_memory_kb = 0, opt_output_bytes = 64 << 20;
static int64_t opt_fsize_bytes = 0, opt_nproc = 0, opt_sample_us = 50;
static const char *opt_cgroup_procs = NULL, *opt_netns = NULL, *opt_cwd = NULL;
static const char *opt_samples_out = NULL;
static int opt_stop_on_failure = 0;
static int opt_jail_uid = -1; /* >= 0: jail the program as this uid (root only) */
static const char *opt_jail_scratch = NULL;
static const char *opt_jail_writable[8];
static int n_jail_writable = 0;
static const char *opt_jail_bind_rw[8]; /* more directories bound back writable (a build cache) */
static int n_jail_bind_rw = 0;
static const char *opt_jail_bind_ro[8]; /* directories the private /tmp would hide (a cache root) */
static int n_jail_bind_ro = 0;
static int opt_jail_keep_cwd = 0; /* the cwd is real (a compile's staging), not a fresh tmpfs */
static int jail_ns_fd = -1; /* the prepared mount namespace the children join */
static int perf_usable = 1; /* cleared after the first failed perf_event_open */

/* A user-space instruction counter on `pid`, armed to start at its execve and to follow its
 * children; -1 where the host has no hardware counters (VMs, containers, perf_event_paranoid). */
static int open_instruction_counter(pid_t pid) {
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
static char *opt_cgroup_join[8];
static int n_cgroup_join = 0;

/* ---- shared sampler state ---- */
static atomic_int sampler_stop = 0;
static atomic_int sampler_active = 0; /* a run is in progress */
static atomic_int target_pid = 0;
static pthread_mutex_t sampler_lock = PTHREAD_MUTEX_INITIALIZER;
static run_result *current = NULL; /* guarded by sampler_lock */
static int64_t last_t = 0, last_rss = -1;
static FILE *samples_fp = NULL;
static int samples_to_stdout = 0; /* --samples-out=-: raw samples follow the JSON report line */
static long page_kb = 4;
/* The child writes CLOCK_MONOTONIC into this shared page just before execve, so the start of a
 * run does not depend on how quickly the supervisor is scheduled after the exec. */
static volatile int64_t *exec_stamp = NULL;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin_to(int cpu) {
    if (cpu < 0) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

/* Resident KiB of one pid from /proc/<pid>/statm (second field, pages). -1 if gone. */
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

/* Append the pids listed in a /proc or cgroup file (whitespace separated) to pids[n..cap).
 * Returns the new count, or -1 when the file cannot be read. */
static int read_pid_list(const char *path, int *pids, int n, int cap) {
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
        if (v > 0) pids[n++] = (int)v;
        while (*p == ' ' || *p == '\n') p++;
    }
    return n;
}

/* Collect the pids of the tree: the cgroup's procs file when we have one (complete, includes
 * daemons that left the session; an empty cgroup is a valid answer), otherwise the root and its
 * descendants via /proc children. */
static int collect_pids(int root, int *pids, int cap) {
    if (opt_cgroup_procs) {
        int n = read_pid_list(opt_cgroup_procs, pids, 0, cap);
        if (n >= 0) return n;
    }
    if (root <= 0) return 0;
    int n = 0;
    pids[n++] = root;
    for (int i = 0; i < n && n < cap; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", pids[i], pids[i]);
        int grown = read_pid_list(path, pids, n, cap);
        if (grown > n) n = grown;
    }
    return n;
}

static int64_t tree_rss_kb(int root) {
    int pids[MAX_TRACKED];
    int n = collect_pids(root, pids, MAX_TRACKED);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int64_t r = pid_rss_kb(pids[i]);
        if (r > 0) total += r;
    }
    return total;
}

static void kill_tree(int root);

/* Record one sample into the current run: trapezoid area since the previous sample. */
static void record_sample(int64_t t, int64_t rss) {
    pthread_mutex_lock(&sampler_lock);
    if (current && atomic_load(&sampler_active)) {
        if (last_rss >= 0 && t > last_t) current->integral_kb_ns += (double)(t - last_t) * (double)(rss + last_rss) / 2.0;
        else if (last_rss < 0 && t > current->start_ns) current->integral_kb_ns += (double)(t - current->start_ns) * (double)rss / 2.0;
        last_t = t;
        last_rss = rss;
        current->samples++;
        if (rss > current->peak_kb) current->peak_kb = rss;
        if (samples_fp) {
            int64_t rec[2] = {t, rss};
            fwrite(rec, sizeof rec, 1, samples_fp);
        }
        if (opt_memory_kb > 0 && rss > opt_memory_kb && !current->memory_exceeded) {
            current->memory_exceeded = 1;
            int pid = atomic_load(&target_pid);
            if (pid > 0) kill_tree(pid);
        }
    }
    pthread_mutex_unlock(&sampler_lock);
}

/* Real-time priority (when permitted) keeps the supervisor's and sampler's wake-ups prompt even
 * when the housekeeping core is busy; SCHED_RESET_ON_FORK gives the measured program the normal
 * policy back. Without the privilege, measurement still works, with more jitter under load. */
static void raise_priority(int prio) {
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
    struct sched_param sp = {.sched_priority = prio};
    if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) != 0) {
        if (setpriority(PRIO_PROCESS, 0, -10) != 0) {
        }
    }
}

static void *sampler_main(void *arg) {
    (void)arg;
    pin_to(opt_sampler_cpu);
    raise_priority(10);
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (!atomic_load(&sampler_stop)) {
        int pid = atomic_load(&target_pid);
        if (atomic_load(&sampler_active) && pid > 0) {
            int64_t rss = tree_rss_kb(pid);
            if (rss >= 0) record_sample(now_ns(), rss);
        }
        next.tv_nsec += opt_sample_us * 1000;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        struct timespec cur;
        clock_gettime(CLOCK_MONOTONIC, &cur);
        if (cur.tv_sec > next.tv_sec || (cur.tv_sec == next.tv_sec && cur.tv_nsec > next.tv_nsec)) next = cur; /* fell behind: don't burst */
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    return NULL;
}

/* Kill everything the job may have left: its process group, the cgroup members, and every
 * descendant that was re-parented to us (we are a child subreaper). */
static void kill_cgroup_members(void) {
    if (!opt_cgroup_procs) return;
    int pids[MAX_TRACKED];
    int n = collect_pids(-1, pids, MAX_TRACKED);
    for (int i = 0; i < n; i++)
        if (pids[i] > 0 && pids[i] != getpid()) kill(pids[i], SIGKILL);
}

static void kill_our_children(void) {
    DIR *d = opendir("/proc");
    if (!d) return;
    struct dirent *e;
    pid_t me = getpid();
    while ((e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        char *rp = strrchr(buf, ')');
        if (!rp) continue;
        char state;
        int ppid;
        if (sscanf(rp + 2, "%c %d", &state, &ppid) == 2 && ppid == me) kill(pid, SIGKILL);
    }
    closedir(d);
}

static void kill_tree(int root) {
    if (root > 0) {
        kill(-root, SIGKILL);
        kill(root, SIGKILL);
    }
    kill_cgroup_members();
}

/* After a run: nothing may survive. Kill and reap until no child and no cgroup member is left. */
static void sweep_survivors(int root) {
    int64_t deadline = now_ns() + 2000000000LL;
    for (;;) {
        kill_tree(root);
        kill_our_children();
        int status;
        while (waitpid(-1, &status, WNOHANG) > 0) {
        }
        int pids[MAX_TRACKED];
        int members = opt_cgroup_procs ? collect_pids(-1, pids, MAX_TRACKED) : 0;
        errno = 0;
        pid_t w = waitpid(-1, &status, WNOHANG);
        int no_children = (w < 0 && errno == ECHILD);
        if (no_children && members == 0) return;
        if (now_ns() > deadline) return;
        usleep(200);
    }
}

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

/* ---- jail (root only): see the header and docs/threat-model.md ---- */

/* Opens an output file for the supervisor (root) without following a symlink the program may
 * have planted at that name (protected_symlinks is often off). */
static FILE *open_output(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) close(fd);
    return f;
}

static int64_t jail_tmpfs_bytes(void) {
    int64_t floor = 16LL << 20;
    return opt_fsize_bytes > floor ? opt_fsize_bytes : floor;
}

/* The per-mount flags named in a mountinfo options field, so that a read-only remount keeps
 * nosuid/nodev/noexec and the atime mode. */
static unsigned long mount_flags(const char *opts) {
    unsigned long flags = 0;
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", opts);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "nosuid")) flags |= MS_NOSUID;
        else if (!strcmp(t, "nodev")) flags |= MS_NODEV;
        else if (!strcmp(t, "noexec")) flags |= MS_NOEXEC;
        else if (!strcmp(t, "noatime")) flags |= MS_NOATIME;
        else if (!strcmp(t, "nodiratime")) flags |= MS_NODIRATIME;
        else if (!strcmp(t, "relatime")) flags |= MS_RELATIME;
    }
    return flags;
}

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s) {
    char *w = s;
    for (char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 3;
        } else {
            *w++ = *r;
        }
    }
    *w = 0;
}

/* Every mount of this (private) namespace becomes read-only. A mount that is shadowed by another
 * one cannot be named by its path (EINVAL/ENOENT) and is unreachable anyway. */
static int remount_all_readonly(void) {
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f) return -1;
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (getline(&line, &cap, f) > 0) {
        char mp[4096], opts[512];
        if (sscanf(line, "%*d %*d %*s %*s %4095s %511s", mp, opts) != 2) continue;
        unescape_octal(mp);
        if (mount(NULL, mp, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | mount_flags(opts), NULL) != 0 &&
            errno != EINVAL && errno != ENOENT) {
            fprintf(stderr, "abrun: jail: remount %s read-only: %s\n", mp, strerror(errno));
            rc = -1;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

static int mkdir_p(const char *path, mode_t mode) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* Bind what `fd` (opened before the covering tmpfs was mounted) names onto `target`. */
static int bind_fd(int fd, const char *target, int writable) {
    char src[64];
    snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) != 0) return -1;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (writable ? 0 : MS_RDONLY);
    return mount(NULL, target, NULL, flags, NULL);
}

/* Root's home becomes an empty read-only tmpfs with each of its entries bound back read-only:
 * the toolchains under it (pyenv, rustup, the compile cache) stay reachable for the jailed uid,
 * while every private file keeps its own mode (which the jailed uid does not pass). */
static int hide_home(void) {
    struct passwd *pw = getpwuid(0);
    if (!pw || !pw->pw_dir || !strcmp(pw->pw_dir, "/") || !pw->pw_dir[0]) return 0;
    char home[4096];
    snprintf(home, sizeof home, "%s", pw->pw_dir);
    int hfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (hfd < 0) return errno == ENOENT ? 0 : -1;
    DIR *d = fdopendir(dup(hfd));
    if (!d) return close(hfd), -1;
    enum { MAX_ENTRIES = 256 };
    static char names[MAX_ENTRIES][256];
    static int fds[MAX_ENTRIES];
    static mode_t modes[MAX_ENTRIES];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_ENTRIES) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        struct stat st;
        if (fstatat(hfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        snprintf(names[n], sizeof names[n], "%s", e->d_name);
        modes[n] = st.st_mode;
        fds[n] = S_ISLNK(st.st_mode) ? -1 : openat(hfd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        n++;
    }
    closedir(d);
    if (mount("tmpfs", home, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) return close(hfd), -1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", home, names[i]);
        if (S_ISLNK(modes[i])) {
            char target[4096];
            ssize_t len = readlinkat(hfd, names[i], target, sizeof target - 1);
            if (len > 0) {
                target[len] = 0;
                if (symlink(target, path)) {
                }
            }
            continue;
        }
        if (fds[i] < 0) continue;
        int made = S_ISDIR(modes[i]) ? mkdir(path, 0755) : close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
        if (made != 0 || bind_fd(fds[i], path, 0) != 0) {
            fprintf(stderr, "abrun: jail: bind %s: %s\n", path, strerror(errno));
            rc = -1;
        }
        close(fds[i]);
    }
    close(hfd);
    if (mount(NULL, home, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) rc = -1;
    return rc;
}

/* Builds the jail's mount namespace in the calling (throw-away) process. */
static int build_jail_namespace(void) {
    if (unshare(CLONE_NEWNS) != 0) return perror("abrun: jail: unshare(CLONE_NEWNS)"), -1;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return perror("abrun: jail: make / private"), -1;
    if (remount_all_readonly() != 0) return -1;
    /* opened inside the new namespace (a bind source must belong to it), before /tmp is covered */
    int scratch_fd = -1;
    if (opt_jail_scratch && (scratch_fd = open(opt_jail_scratch, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return perror("abrun: jail: scratch"), -1;
    int ro_fds[8];
    for (int i = 0; i < n_jail_bind_ro; i++)
        if ((ro_fds[i] = open(opt_jail_bind_ro[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
            return fprintf(stderr, "abrun: jail: %s: %s\n", opt_jail_bind_ro[i], strerror(errno)), -1;
    int rw_fds[8];
    for (int i = 0; i < n_jail_bind_rw; i++)
        if ((rw_fds[i] = open(opt_jail_bind_rw[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
            return fprintf(stderr, "abrun: jail: %s: %s\n", opt_jail_bind_rw[i], strerror(errno)), -1;
    if (hide_home() != 0) return -1;
    char opts[128];
    snprintf(opts, sizeof opts, "size=%lld,mode=1777", (long long)jail_tmpfs_bytes());
    const char *tmpdirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (lstat(tmpdirs[i], &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (mount("tmpfs", tmpdirs[i], "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
            return fprintf(stderr, "abrun: jail: tmpfs on %s: %s\n", tmpdirs[i], strerror(errno)), -1;
    }
    for (int i = 0; i < n_jail_bind_ro; i++) {
        if (mkdir_p(opt_jail_bind_ro[i], 0755) != 0 || bind_fd(ro_fds[i], opt_jail_bind_ro[i], 0) != 0)
            return fprintf(stderr, "abrun: jail: bind %s: %s\n", opt_jail_bind_ro[i], strerror(errno)), -1;
        close(ro_fds[i]);
    }
    if (scratch_fd >= 0) {
        if (mkdir_p(opt_jail_scratch, 0755) != 0 || bind_fd(scratch_fd, opt_jail_scratch, 1) != 0)
            return fprintf(stderr, "abrun: jail: bind scratch: %s\n", strerror(errno)), -1;
        close(scratch_fd);
    }
    for (int i = 0; i < n_jail_bind_rw; i++) {
        if (mkdir_p(opt_jail_bind_rw[i], 0755) != 0 || bind_fd(rw_fds[i], opt_jail_bind_rw[i], 1) != 0)
            return fprintf(stderr, "abrun: jail: bind %s: %s\n", opt_jail_bind_rw[i], strerror(errno)), -1;
        close(rw_fds[i]);
    }
    if (opt_cwd && !opt_jail_keep_cwd) {
        snprintf(opts, sizeof opts, "size=%lld,mode=0700,uid=%d,gid=%d", (long long)jail_tmpfs_bytes(), opt_jail_uid,
                 opt_jail_uid);
        if (mount("tmpfs", opt_cwd, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0)
            return fprintf(stderr, "abrun: jail: tmpfs on %s: %s\n", opt_cwd, strerror(errno)), -1;
    }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0)
        return perror("abrun: jail: mount /proc"), -1;
    return 0;
}

/* Prepare the jail once per invocation: writable directories become sticky 1777 (so the jailed
 * uid may add files but not replace ours), then a helper builds the mount namespace and we keep a
 * handle on it. Holding it here also means its teardown happens in the supervisor after the
 * last run, never inside a measured run's exit. */
static int jail_prepare(void) {
    for (int i = 0; i < n_jail_writable; i++) {
        int fd = open(opt_jail_writable[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0 || st.st_uid != 0 || fchmod(fd, 01777) != 0) {
            fprintf(stderr, "abrun: jail: writable %s: %s\n", opt_jail_writable[i], strerror(errno));
            if (fd >= 0) close(fd);
            return -1;
        }
        close(fd);
    }
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC)) return -1;
    pid_t helper = fork();
    if (helper < 0) return -1;
    if (helper == 0) {
        close(ready[0]);
        close(hold[1]);
        char ok = build_jail_namespace() == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1) _exit(1);
        char c;
        while (read(hold[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    char ok = 'n';
    ssize_t r;
    do r = read(ready[0], &ok, 1); while (r < 0 && errno == EINTR);
    close(ready[0]);
    if (r == 1 && ok == 'y') {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", helper);
        jail_ns_fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    close(hold[1]);
    waitpid(helper, NULL, 0);
    return jail_ns_fd >= 0 ? 0 : -1;
}

/* In the child, after everything that needs root: become the jail uid with no capabilities and
 * no way to regain any (setuid binaries included). */
static int jail_drop_privileges(void) {
    uid_t id = (uid_t)opt_jail_uid;
    if (setgroups(0, NULL) != 0 || setresgid(id, id, id) != 0) return -1;
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    if (setresuid(id, id, id) != 0) return -1;
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    if (data[0].permitted || data[1].permitted || data[0].effective || data[1].effective) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

static void child_exec(const run_spec *rs, char **argv, int errfd, int outw, int errw, int gofd) {
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char pidbuf[32];
    int len = snprintf(pidbuf, sizeof pidbuf, "%d\n", getpid());
    for (int i = 0; i < n_cgroup_join; i++) {
        int fd = open(opt_cgroup_join[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, pidbuf, len) != len) goto fail;
        close(fd);
    }
    if (opt_netns) {
        int fd = open(opt_netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) goto fail;
        close(fd);
    }
    if (jail_ns_fd >= 0 && setns(jail_ns_fd, CLONE_NEWNS) != 0) goto fail;
    pin_to(opt_cpu);
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    if (opt_fsize_bytes > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)opt_fsize_bytes;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
    if (opt_nproc > 0 && (getuid() != 0 || jail_ns_fd >= 0)) { /* counts the uid's processes */
        rl.rlim_cur = rl.rlim_max = (rlim_t)opt_nproc;
        setrlimit(RLIMIT_NPROC, &rl);
    }
    if (opt_cwd && chdir(opt_cwd) != 0) goto fail;
    int in = open(rs->in, O_RDONLY | O_CLOEXEC);
    if (in < 0) goto fail;
    if (dup2(in, 0) < 0 || dup2(outw, 1) < 0 || dup2(errw, 2) < 0) goto fail;
    if (jail_ns_fd >= 0 && jail_drop_privileges() != 0) goto fail;
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* close everything but 0,1,2 and the CLOEXEC error pipe */
    char go;
    while (read(gofd, &go, 1) < 0 && errno == EINTR) {
    } /* the parent arms the instruction counter first */
    for (int fd = 3; fd < 1024; fd++)
        if (fd != errfd) close(fd);
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
fail:;
    int e = errno;
    if (write(errfd, &e, sizeof e) < 0) {
    }
    _exit(127);
}

static int64_t pump(int fd, FILE *sink, int64_t *count) {
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
        int64_t room = opt_output_bytes - *count;
        if (room > 0) fwrite(buf, 1, n < room ? n : room, sink);
        *count += n;
    }
    return n;
}

static void do_run(const run_spec *rs, char **argv, run_result *res) {
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    res->instructions = -1;
    int errp[2], outp[2], errq[2], gop[2];
    if (pipe2(gop, O_CLOEXEC)) {
        res->spawn_errno = errno;
        return;
    }
    if (pipe2(errp, O_CLOEXEC) || pipe2(outp, O_CLOEXEC) || pipe2(errq, O_CLOEXEC)) {
        res->spawn_errno = errno;
        return;
    }
    FILE *out = open_output(rs->out), *err = open_output(rs->err);
    if (!out || !err) {
        res->spawn_errno = errno;
        if (out) fclose(out);
        if (err) fclose(err);
        close(errp[0]); close(errp[1]); close(outp[0]); close(outp[1]); close(errq[0]); close(errq[1]);
        return;
    }
    if (exec_stamp) exec_stamp[0] = exec_stamp[1] = exec_stamp[2] = 0;
    pid_t pid = fork();
    if (pid == 0) {
        /* the child keeps errp[1] (CLOEXEC: closes on successful exec) and the write ends */
        int ew = fcntl(outp[1], F_DUPFD, 3), ee = fcntl(errq[1], F_DUPFD, 3);
        close(gop[1]);
        child_exec(rs, argv, errp[1], ew, ee, gop[0]);
    }
    close(gop[0]);
    int counter = pid > 0 ? open_instruction_counter(pid) : -1;
    if (write(gop[1], "g", 1) < 0) {
    }
    close(gop[1]);
    close(errp[1]);
    close(outp[1]);
    close(errq[1]);
    if (pid < 0) {
        res->spawn_errno = errno;
        close(errp[0]); close(outp[0]); close(errq[0]);
        fclose(out); fclose(err);
        return;
    }
    int child_errno = 0;
    ssize_t r;
    do r = read(errp[0], &child_errno, sizeof child_errno); while (r < 0 && errno == EINTR);
    int64_t start = now_ns();
    if (exec_stamp && *exec_stamp > 0 && *exec_stamp <= start) start = *exec_stamp;
    close(errp[0]);
    pthread_mutex_lock(&sampler_lock);
    current = res;
    res->start_ns = start;
    last_rss = -1;
    last_t = start;
    atomic_store(&target_pid, pid);
    atomic_store(&sampler_active, r <= 0);
    pthread_mutex_unlock(&sampler_lock);
    if (r > 0) res->spawn_errno = child_errno;

    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    int64_t deadline = start + opt_timeout_ms * 1000000LL;
    int out_open = 1, err_open = 1, exited = 0, status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (!exited) {
        struct pollfd pf[3];
        int n = 0;
        if (pidfd >= 0) pf[n++] = (struct pollfd){pidfd, POLLIN, 0};
        int io = n;
        if (out_open) pf[n++] = (struct pollfd){outp[0], POLLIN, 0};
        if (err_open) pf[n++] = (struct pollfd){errq[0], POLLIN, 0};
        int64_t left = deadline - now_ns();
        int wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        if (pidfd < 0 && wait_ms > 1) wait_ms = 1;
        poll(pf, n, wait_ms);
        for (int i = io; i < n; i++) {
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            int is_out = pf[i].fd == outp[0];
            int64_t got = pump(pf[i].fd, is_out ? out : err, is_out ? &res->out_bytes : &res->err_bytes);
            if (got <= 0) {
                if (is_out) out_open = 0;
                else err_open = 0;
            }
        }
        if (res->out_bytes + res->err_bytes > opt_output_bytes && !res->output_exceeded) {
            res->output_exceeded = 1;
            kill_tree(pid);
        }
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) {
            exited = 1;
            break;
        }
        if (now_ns() >= deadline && !res->timed_out) {
            res->timed_out = 1;
            kill_tree(pid);
        }
    }
    int64_t end = now_ns();
    pthread_mutex_lock(&sampler_lock);
    atomic_store(&sampler_active, 0);
    if (last_rss >= 0 && end > last_t) res->integral_kb_ns += (double)(end - last_t) * (double)last_rss;
    current = NULL;
    atomic_store(&target_pid, 0);
    pthread_mutex_unlock(&sampler_lock);
    res->end_ns = end;
    if (pidfd >= 0) close(pidfd);
    if (counter >= 0) {
        uint64_t value = 0;
        if (read(counter, &value, sizeof value) == sizeof value) res->instructions = (int64_t)value;
        close(counter);
    }
    sweep_survivors(pid);
    /* drain what the (now dead) tree left in the pipes */
    for (int k = 0; k < 2; k++) {
        int fd = k == 0 ? outp[0] : errq[0];
        int open_ = k == 0 ? out_open : err_open;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        while (open_ && pump(fd, k == 0 ? out : err, k == 0 ? &res->out_bytes : &res->err_bytes) > 0) {
        }
    }
    if (res->out_bytes + res->err_bytes > opt_output_bytes) res->output_exceeded = 1;
    close(outp[0]);
    close(errq[0]);
    fclose(out);
    fclose(err);
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

static int make_netns(const char *path) {
    int fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0644);
    if (fd < 0) return perror("create netns file"), 1;
    close(fd);
    if (unshare(CLONE_NEWNET) != 0) return perror("unshare(CLONE_NEWNET)"), 1;
    if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) != 0) return perror("bind mount netns"), 1;
    return 0;
}

static int load_runs(const char *path, run_spec *runs) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0 && n < MAX_RUNS) {
        line[strcspn(line, "\n")] = 0;
        char *a = strtok(line, "\t"), *b = strtok(NULL, "\t"), *c = strtok(NULL, "\t");
        if (!a || !b || !c) continue;
        runs[n].in = strdup(a);
        runs[n].out = strdup(b);
        runs[n].err = strdup(c);
        n++;
    }
    free(line);
    fclose(f);
    return n;
}

int main(int argc, char **argv) {
    static struct option longopts[] = {
        {"cpu", required_argument, 0, 'c'},          {"sampler-cpu", required_argument, 0, 's'},
        {"timeout-ms", required_argument, 0, 't'},   {"memory-kb", required_argument, 0, 'm'},
        {"output-bytes", required_argument, 0, 'o'}, {"fsize-bytes", required_argument, 0, 'f'},
        {"nproc", required_argument, 0, 'p'},        {"sample-us", required_argument, 0, 'u'},
        {"cgroup-procs", required_argument, 0, 'g'}, {"cgroup-join", required_argument, 0, 'j'},
        {"netns", required_argument, 0, 'n'},        {"cwd", required_argument, 0, 'w'},
        {"runs", required_argument, 0, 'r'},         {"samples-out", required_argument, 0, 'S'},
        {"make-netns", required_argument, 0, 'N'},   {"stop-on-failure", no_argument, 0, 'F'},
        {"jail-uid", required_argument, 0, 'U'},     {"jail-scratch", required_argument, 0, 'J'},
        {"jail-writable", required_argument, 0, 'W'}, {"jail-probe", no_argument, 0, 'P'},
        {"jail-bind-rw", required_argument, 0, 'B'},  {"jail-keep-cwd", no_argument, 0, 'K'},
        {"jail-bind-ro", required_argument, 0, 'O'},
        {0, 0, 0, 0}};
    int probe = 0;
    const char *runs_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': opt_cpu = atoi(optarg); break;
        case 's': opt_sampler_cpu = atoi(optarg); break;
        case 't': opt_timeout_ms = atoll(optarg); break;
        case 'm': opt_memory_kb = atoll(optarg); break;
        case 'o': opt_output_bytes = atoll(optarg); break;
        case 'f': opt_fsize_bytes = atoll(optarg); break;
        case 'p': opt_nproc = atoll(optarg); break;
        case 'u': opt_sample_us = atoll(optarg); break;
        case 'g': opt_cgroup_procs = optarg; break;
        case 'j': if (n_cgroup_join < 8) opt_cgroup_join[n_cgroup_join++] = optarg; break;
        case 'n': opt_netns = optarg; break;
        case 'w': opt_cwd = optarg; break;
        case 'r': runs_path = optarg; break;
        case 'S': opt_samples_out = optarg; break;
        case 'N': return make_netns(optarg);
        case 'F': opt_stop_on_failure = 1; break;
        case 'U': opt_jail_uid = atoi(optarg); break;
        case 'J': opt_jail_scratch = optarg; break;
        case 'W': if (n_jail_writable < 8) opt_jail_writable[n_jail_writable++] = optarg; break;
        case 'P': probe = 1; break;
        case 'B': if (n_jail_bind_rw < 8) opt_jail_bind_rw[n_jail_bind_rw++] = optarg; break;
        case 'K': opt_jail_keep_cwd = 1; break;
        case 'O': if (n_jail_bind_ro < 8) opt_jail_bind_ro[n_jail_bind_ro++] = optarg; break;
        default: fprintf(stderr, "abrun: bad option\n"); return 2;
        }
    }
    /* Not dumpable: a program running as our uid cannot ptrace us or open our /proc fds. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (probe) {
        if (opt_jail_uid < 0) opt_jail_uid = 65534;
        return geteuid() == 0 && jail_prepare() == 0 ? 0 : 1;
    }
    if (optind >= argc || !runs_path) {
        fprintf(stderr, "usage: abrun [options] --runs FILE -- argv...\n");
        return 2;
    }
    if (opt_sample_us < 1) opt_sample_us = 1;
    static run_spec runs[MAX_RUNS];
    int nruns = load_runs(runs_path, runs);
    if (nruns <= 0) {
        fprintf(stderr, "abrun: no runs in %s\n", runs_path);
        return 2;
    }
    /* Jailing is for root; elsewhere the program already runs unprivileged (docs/threat-model.md). */
    if (opt_jail_uid >= 0 && geteuid() == 0 && jail_prepare() != 0) {
        fprintf(stderr, "abrun: could not build the jail\n");
        return 3;
    }
    page_kb = sysconf(_SC_PAGESIZE) / 1024;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    pin_to(opt_sampler_cpu); /* the supervisor stays off the measured core too */
    exec_stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (exec_stamp == MAP_FAILED) exec_stamp = NULL;
    raise_priority(11);
    if (opt_samples_out && strcmp(opt_samples_out, "-") == 0) {
        /* Samples go to our stdout after the report, through an anonymous memory file in between:
         * no path exists that a program sharing our uid could open and rewrite. */
        int memfd = (int)syscall(SYS_memfd_create, "abrun-samples", 1u /* MFD_CLOEXEC */);
        samples_fp = memfd >= 0 ? fdopen(memfd, "w+") : NULL;
        samples_to_stdout = 1;
    } else if (opt_samples_out) {
        samples_fp = open_output(opt_samples_out);
    }
    pthread_t th;
    pthread_create(&th, NULL, sampler_main, NULL);
    static run_result results[MAX_RUNS];
    int64_t t0 = now_ns();
    int stop_after = nruns;
    for (int i = 0; i < nruns; i++) {
        do_run(&runs[i], argv + optind, &results[i]);
        run_result *r = &results[i];
        int failed = r->timed_out || r->output_exceeded || r->memory_exceeded || r->signal_no || r->exit_code != 0;
        if (r->spawn_errno || (opt_stop_on_failure && failed)) {
            stop_after = i + 1;
            break;
        }
    }
    atomic_store(&sampler_stop, 1);
    pthread_join(th, NULL);
    if (samples_fp && !samples_to_stdout) fclose(samples_fp);
    int64_t total = now_ns() - t0;
    FILE *o = stdout;
    fprintf(o, "{\"supervisor_ns\":%lld,\"sample_us\":%lld,\"jailed\":%s,\"runs\":[", (long long)total,
            (long long)opt_sample_us, jail_ns_fd >= 0 ? "true" : "false");
    for (int i = 0; i < stop_after; i++) {
        run_result *r = &results[i];
        fprintf(o,
                "%s{\"exit_code\":%d,\"signal\":%d,\"spawn_error\":",
                i ? "," : "", r->exit_code, r->signal_no);
        if (r->spawn_errno) json_str(o, strerror(r->spawn_errno));
        else fputs("null", o);
        fprintf(o,
                ",\"timed_out\":%s,\"output_exceeded\":%s,\"memory_exceeded\":%s,"
                "\"start_ns\":%lld,\"end_ns\":%lld,\"utime_us\":%lld,\"stime_us\":%lld,\"maxrss_kb\":%lld,"
                "\"stdout_bytes\":%lld,\"stderr_bytes\":%lld,\"samples\":%lld,\"peak_sampled_kb\":%lld,"
                "\"integral_kb_ns\":%.1f,\"instructions\":%lld}",
                r->timed_out ? "true" : "false", r->output_exceeded ? "true" : "false",
                r->memory_exceeded ? "true" : "false", (long long)r->start_ns, (long long)r->end_ns,
                (long long)r->utime_us, (long long)r->stime_us, (long long)r->maxrss_kb,
                (long long)r->out_bytes, (long long)r->err_bytes, (long long)r->samples,
                (long long)r->peak_kb, r->integral_kb_ns, (long long)r->instructions);
    }
    fputs("]}\n", o);
    if (samples_to_stdout && samples_fp) {
        char chunk[65536];
        size_t n;
        fflush(samples_fp);
        rewind(samples_fp);
        while ((n = fread(chunk, 1, sizeof chunk, samples_fp)) > 0) fwrite(chunk, 1, n, o);
        fclose(samples_fp);
    }
    fflush(o);
    return 0;
}
