/*
 * Isolation of the program (root only; docs/threat-model.md says what holds without root).
 *
 * The jail is a mount namespace built once per supervisor invocation around a *new, empty root*
 * (a small tmpfs) into which only what a program needs is bound read-only: the system directories
 * (/usr, /etc, the /lib and /bin links, /sys), the toolchains' install roots and the compiled
 * artifact (--jail-ro), plus a minimal /dev, a new /proc that shows only the jail uid's own
 * processes (hidepid=2), and fresh size-limited tmpfs for /tmp, /var/tmp, /dev/shm and the working
 * directory. Everything else of the host -- datasets with expected answers, caches, the hub cache,
 * users' files, /run and its sockets -- simply does not exist in it; --jail-hide covers what sits
 * inside a bound directory (a site-packages holding Afterburner's own data). Compiles get the same
 * jail with their staging directory and build caches bound writable (--jail-rw).
 *
 * Per run (not per invocation): a fresh IPC namespace (SysV shared memory, semaphores, message
 * queues and POSIX queues die with the run), and a seccomp filter that refuses new namespaces
 * (user namespaces above all), AF_UNIX sockets (abstract sockets would connect concurrent jobs),
 * leaving the pinned core (sched_setaffinity) and a few kernel interfaces programs never need.
 */
#include "abrun.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int jail_ns_fd = -1; /* the prepared mount namespace the children join */

#define JAIL_MOUNTPOINT "/run/afterburner-jail"
#define JAIL_MOUNTPOINT_FALLBACK "/tmp/.afterburner-jail"

static const char *SYSTEM_PATHS[] = {"/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/sys"};
static const char *DEVICES[] = {"null", "zero", "full", "random", "urandom", "tty"};

static int fail(const char *what, const char *path) {
    fprintf(stderr, "abrun: jail: %s %s: %s\n", what, path ? path : "", strerror(errno));
    return -1;
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

static int64_t tmpfs_bytes(void) {
    int64_t floor = 16LL << 20;
    return opt.fsize_bytes > floor ? opt.fsize_bytes : floor;
}

/* Bind host `source` at `root`+`source` (a directory or a file), read-only unless `writable`. */
static int bind_into(const char *root, const char *source, int writable) {
    struct stat st;
    if (stat(source, &st) != 0) return errno == ENOENT ? 0 : fail("stat", source);
    char target[8192];
    snprintf(target, sizeof target, "%s%s", root, source);
    if (S_ISDIR(st.st_mode)) {
        if (mkdir_p(target, 0755) != 0) return fail("mkdir", target);
    } else {
        char parent[8192];
        snprintf(parent, sizeof parent, "%s", target);
        char *slash = strrchr(parent, '/');
        if (slash) *slash = 0;
        if (mkdir_p(parent, 0755) != 0) return fail("mkdir", parent);
        int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0) return fail("create", target);
        close(fd);
    }
    if (mount(source, target, NULL, MS_BIND, NULL) != 0) return fail("bind", source);
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (writable ? 0 : MS_RDONLY);
    if (strncmp(source, "/dev/", 5) != 0) flags |= MS_NODEV;
    if (mount(NULL, target, NULL, flags, NULL) != 0) return fail("remount", target);
    return 0;
}

/* A system path: a directory is bound, a symlink (merged /usr: /bin -> usr/bin) recreated. */
static int system_path(const char *root, const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return 0;
    if (S_ISLNK(st.st_mode)) {
        char target[4096], link[4096];
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len <= 0) return 0;
        target[len] = 0;
        snprintf(link, sizeof link, "%s%s", root, path);
        return symlink(target, link) == 0 || errno == EEXIST ? 0 : fail("symlink", link);
    }
    return bind_into(root, path, 0);
}

static int mount_tmpfs(const char *target, const char *options) {
    if (mkdir_p(target, 0755) != 0) return fail("mkdir", target);
    if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, options) != 0) return fail("tmpfs", target);
    return 0;
}

static int minimal_dev(const char *root) {
    char dev[4096], path[8192];
    snprintf(dev, sizeof dev, "%s/dev", root);
    if (mkdir_p(dev, 0755) != 0 || mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755") != 0)
        return fail("dev", dev);
    for (size_t i = 0; i < sizeof DEVICES / sizeof *DEVICES; i++) {
        snprintf(path, sizeof path, "/dev/%s", DEVICES[i]);
        if (bind_into(root, path, 1) != 0) return -1;
    }
    const char *links[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
                              {"stderr", "/proc/self/fd/2"}};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
        snprintf(path, sizeof path, "%s/%s", dev, links[i][0]);
        if (symlink(links[i][1], path) != 0) return fail("symlink", path);
    }
    return 0;
}

/* Builds the jail's namespace in the calling (throw-away) process; see the header. */
static int build_jail_namespace(void) {
    const char *root = JAIL_MOUNTPOINT;
    if (mkdir_p(root, 0755) != 0) {
        root = JAIL_MOUNTPOINT_FALLBACK;
        if (mkdir_p(root, 0755) != 0) return fail("mkdir", root);
    }
    if (unshare(CLONE_NEWNS) != 0) return fail("unshare", "mount namespace");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return fail("make private", "/");
    if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0755") != 0) return fail("tmpfs", root);
    for (size_t i = 0; i < sizeof SYSTEM_PATHS / sizeof *SYSTEM_PATHS; i++)
        if (system_path(root, SYSTEM_PATHS[i]) != 0) return -1;
    if (minimal_dev(root) != 0) return -1;
    char path[8192], options[160];
    snprintf(options, sizeof options, "size=%lld,mode=1777", (long long)tmpfs_bytes());
    const char *tmpdirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", root, tmpdirs[i]);
        if (mount_tmpfs(path, options) != 0) return -1;
    }
    for (int i = 0; i < opt.n_jail_ro; i++)
        if (bind_into(root, opt.jail_ro[i], 0) != 0) return -1;
    for (int i = 0; i < opt.n_jail_rw; i++)
        if (bind_into(root, opt.jail_rw[i], 1) != 0) return -1;
    for (int i = 0; i < opt.n_jail_hide; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s%s", root, opt.jail_hide[i]);
        if (lstat(path, &st) != 0) continue; /* not inside anything bound: already invisible */
        int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
                                     : mount("/dev/null", path, NULL, MS_BIND, NULL);
        if (rc != 0) return fail("hide", opt.jail_hide[i]);
    }
    if (opt.cwd && !opt.jail_keep_cwd) {
        snprintf(path, sizeof path, "%s%s", root, opt.cwd);
        snprintf(options, sizeof options, "size=%lld,mode=0700,uid=%d,gid=%d", (long long)tmpfs_bytes(), opt.jail_uid,
                 opt.jail_uid);
        if (mount_tmpfs(path, options) != 0) return -1;
    }
    snprintf(path, sizeof path, "%s/proc", root);
    if (mkdir_p(path, 0555) != 0 || mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2") != 0)
        return fail("proc", path);
    snprintf(path, sizeof path, "%s/.old", root);
    if (mkdir(path, 0700) != 0) return fail("mkdir", path);
    if (syscall(SYS_pivot_root, root, path) != 0) return fail("pivot_root", root);
    if (chdir("/") != 0 || umount2("/.old", MNT_DETACH) != 0 || rmdir("/.old") != 0) return fail("detach", "old root");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4m,mode=0755") != 0)
        return fail("remount read-only", "/");
    return 0;
}

/* Prepare the jail once per invocation: a helper builds the namespace and we keep a handle on
 * it. Holding it here also means its teardown happens in the supervisor after the last run,
 * never inside a measured run's exit. */
int jail_prepare(void) {
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

/* In the child, as root: the jail's mount namespace, and a fresh IPC namespace of its own. */
int jail_enter_child(void) {
    if (jail_ns_fd >= 0 && setns(jail_ns_fd, CLONE_NEWNS) != 0) return -1;
    if (opt.ipc_ns && unshare(CLONE_NEWIPC) != 0) return -1;
    return 0;
}

/* In the child, after everything that needs root: become the jail uid with no capabilities and
 * no way to regain any (setuid binaries included). */
int jail_drop_privileges(void) {
    uid_t id = (uid_t)opt.jail_uid;
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

/* ---- seccomp ------------------------------------------------------------------------------ */
#if defined(__x86_64__)
#define AB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define NAMESPACE_FLAGS \
    (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWCGROUP)
#define RET(value) BPF_STMT(BPF_RET | BPF_K, (value))
#define DENY(e) RET(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)offsetof(struct seccomp_data, field))

typedef struct {
    struct sock_filter code[256];
    unsigned short n;
} filter;

static void emit(filter *f, struct sock_filter ins) { f->code[f->n++] = ins; }

/* if (nr == syscall) return errno */
static void deny_syscall(filter *f, long nr, int error) {
    emit(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 1));
    emit(f, (struct sock_filter)DENY(error));
}

int install_seccomp(void) {
#ifndef AB_AUDIT_ARCH
    return 0; /* an architecture we have no filter for: the jail still holds */
#else
    filter f = {.n = 0};
    emit(&f, (struct sock_filter)LOAD(arch));
    emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AB_AUDIT_ARCH, 1, 0));
    emit(&f, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS)); /* another ABI (i386 int 0x80) */
    emit(&f, (struct sock_filter)LOAD(nr));
#if defined(__x86_64__)
    emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1)); /* x32 */
    emit(&f, (struct sock_filter)DENY(ENOSYS));
#endif
    /* clone with namespace flags: EPERM; plain clone (fork, threads): allowed */
    emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4));
    emit(&f, (struct sock_filter)LOAD(args[0]));
    emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1));
    emit(&f, (struct sock_filter)DENY(EPERM));
    emit(&f, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    /* socket(AF_UNIX, ...): EACCES (socketpair stays allowed: it has no address) */
    emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 4));
    emit(&f, (struct sock_filter)LOAD(args[0]));
    emit(&f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1));
    emit(&f, (struct sock_filter)DENY(EACCES));
    emit(&f, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    /* clone3 passes its flags in memory the filter cannot read: ENOSYS makes libc fall back to clone */
    deny_syscall(&f, SYS_clone3, ENOSYS);
    long denied[] = {SYS_unshare, SYS_setns, SYS_sched_setaffinity, SYS_keyctl, SYS_add_key, SYS_request_key,
                     SYS_bpf, SYS_userfaultfd, SYS_perf_event_open, SYS_io_uring_setup, SYS_io_uring_enter,
                     SYS_io_uring_register, SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_kexec_load,
                     SYS_init_module, SYS_finit_module, SYS_delete_module, SYS_swapon, SYS_swapoff, SYS_reboot,
                     SYS_acct, SYS_open_by_handle_at, SYS_name_to_handle_at, SYS_fsopen, SYS_fsmount, SYS_move_mount,
                     SYS_open_tree, SYS_syslog};
    for (size_t i = 0; i < sizeof denied / sizeof *denied; i++) deny_syscall(&f, denied[i], EPERM);
    emit(&f, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
    struct sock_fprog prog = {.len = f.n, .filter = f.code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0 ? 0 : -1;
#endif
}

int make_netns(const char *path) {
    int fd = open(path, O_CREAT | O_RDONLY | O_CLOEXEC, 0644);
    if (fd < 0) return perror("create netns file"), 1;
    close(fd);
    if (unshare(CLONE_NEWNET) != 0) return perror("unshare(CLONE_NEWNET)"), 1;
    if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) != 0) return perror("bind mount netns"), 1;
    return 0;
}
