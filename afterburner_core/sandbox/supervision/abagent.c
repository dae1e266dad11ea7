/*
 * abagent: the resident process of a warm sandbox container (its PID 1).
 *
 * Why it exists: a `docker exec` costs ~40 ms and a fresh container ~200 ms, while a supervised
 * run of a small program costs a few milliseconds. The docker backend therefore keeps one
 * container per (language, core) alive and talks to this agent over the container's attached
 * stdin/stdout -- a channel only the host holds. The agent never interprets measurements: it
 * starts the real supervisor (abrun) exactly as the local backend would and passes its report
 * back byte for byte.
 *
 * Protocol (one command per line on stdin, answers on stdout):
 *   RUN <request file>   the file holds NUL-terminated strings: argv..., "", env..., ""
 *                        answer: "RAN <wait status> <stdout bytes> <stderr bytes>\n" + bytes
 *   CLEAN <dir>...       SIGKILL every other process in the container, reap them, remove every
 *                        SysV IPC object and POSIX message queue, empty the dirs
 *                        answer: "CLEAN <processes still alive>\n"
 *   PING                 answer: "PONG\n"
 * Any malformed command is answered "ERR <reason>\n".
 *
 * Hardening: the agent is not dumpable (a same-uid program cannot ptrace it or open its
 * /proc/<pid>/fd/0 to inject commands), and as PID 1 of its namespace it cannot be killed from
 * inside the container.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (1 << 22)
#define MAX_CAPTURE (1 << 26)

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            _exit(3); /* the host went away */
        }
        buf += n;
        len -= (size_t)n;
    }
}

static void reply(const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
    write_all(1, line, (size_t)n);
}

static void reap_all(void) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

/* Split the request file into argv and envp (both NULL-terminated, pointing into `data`). */
static int parse_request(char *data, size_t len, char ***argv_out, char ***envp_out) {
    size_t count = 0;
    for (size_t i = 0; i < len; i++) count += data[i] == '\0';
    char **slots = calloc(count + 2, sizeof(char *));
    if (!slots) return -1;
    char **argv = slots, **envp = NULL;
    size_t used = 0, i = 0;
    while (i < len) {
        char *s = data + i;
        size_t l = strnlen(s, len - i);
        if (l == len - i) break; /* unterminated tail */
        i += l + 1;
        if (l == 0) {
            if (envp) break; /* end of env */
            slots[used++] = NULL;
            envp = slots + used;
            continue;
        }
        slots[used++] = s;
    }
    if (!envp || argv[0] == NULL) {
        free(slots);
        return -1;
    }
    slots[used] = NULL;
    *argv_out = argv;
    *envp_out = envp;
    return 0;
}

static char *read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_REQUEST) {
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf || got != (size_t)st.st_size) {
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

struct capture {
    char *data;
    size_t len, cap;
};

static void capture_append(struct capture *c, const char *buf, size_t n) {
    if (c->len + n > MAX_CAPTURE) n = MAX_CAPTURE - c->len;
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 65536;
        while (cap < c->len + n) cap *= 2;
        char *grown = realloc(c->data, cap);
        if (!grown) return;
        c->data = grown;
        c->cap = cap;
    }
    memcpy(c->data + c->len, buf, n);
    c->len += n;
}

static void do_run(const char *path) {
    size_t len = 0;
    char *data = read_file(path, &len);
    char **argv, **envp;
    if (!data || parse_request(data, len, &argv, &envp) != 0) {
        free(data);
        reply("ERR bad request file\n");
        return;
    }
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        reply("ERR pipe: %s\n", strerror(errno));
        free(argv);
        free(data);
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        reply("ERR fork: %s\n", strerror(errno));
        close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        free(argv);
        free(data);
        return;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        execve(argv[0], argv, envp);
        dprintf(2, "abagent: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    struct capture cout = {0}, cerr = {0};
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int k = 0; k < 2; k++) {
            if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(fds[k].fd, buf, sizeof buf);
            if (n > 0) {
                capture_append(k == 0 ? &cout : &cerr, buf, (size_t)n);
            } else if (n == 0 || errno != EINTR) {
                close(fds[k].fd);
                fds[k].fd = -1;
                open_fds--;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    reap_all();
    reply("RAN %d %zu %zu\n", status, cout.len, cerr.len);
    if (cout.len) write_all(1, cout.data, cout.len);
    if (cerr.len) write_all(1, cerr.data, cerr.len);
    free(cout.data);
    free(cerr.data);
    free(argv);
    free(data);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    if (ftw->level == 0) return 0; /* keep the directory itself */
    if (flag == FTW_DP) rmdir(path);
    else unlink(path);
    return 0;
}

static int count_others(void) {
    DIR *proc = opendir("/proc");
    if (!proc) return -1;
    int others = 0;
    pid_t self = getpid();
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end == '\0' && pid > 0 && pid != self) others++;
    }
    closedir(proc);
    return others;
}

/* Remove every object listed in /proc/sysvipc/<kind> (column 2 is the id): a job must not leave
 * shared memory, semaphores or queues for the next one (the container's IPC namespace outlives
 * jobs). Listing through /proc needs no permission on the objects, so a program cannot hide one
 * by giving it mode 0; removing needs only its uid, which is ours. */
static void remove_sysv(const char *kind, int (*remove)(int)) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *f = fopen(path, "re");
    if (!f) return;
    if (!fgets(line, sizeof line, f)) line[0] = 0; /* the header */
    while (fgets(line, sizeof line, f)) {
        long key, id;
        if (sscanf(line, "%ld %ld", &key, &id) == 2) remove((int)id);
    }
    fclose(f);
}

static int remove_shm(int id) { return shmctl(id, IPC_RMID, NULL); }
static int remove_sem(int id) { return semctl(id, 0, IPC_RMID); }
static int remove_msg(int id) { return msgctl(id, IPC_RMID, NULL); }

static void remove_ipc(void) {
    remove_sysv("shm", remove_shm);
    remove_sysv("sem", remove_sem);
    remove_sysv("msg", remove_msg);
    DIR *queues = opendir("/dev/mqueue");
    if (!queues) return;
    struct dirent *entry;
    while ((entry = readdir(queues)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        char name[300];
        snprintf(name, sizeof name, "/%s", entry->d_name);
        mq_unlink(name);
    }
    closedir(queues);
}

static void do_clean(char *dirs) {
    /* Everything but us: strays that escaped their supervisor, daemons, stopped processes. */
    for (int round = 0; round < 50; round++) {
        kill(-1, SIGKILL);
        reap_all();
        if (count_others() == 0) break;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    remove_ipc();
    for (char *dir = strtok(dirs, " "); dir; dir = strtok(NULL, " ")) {
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    }
    reply("CLEAN %d\n", count_others());
}

int main(void) {
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    /* PID 1 reaps orphans; SIGCHLD keeps its default action so waitpid works. */
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        if (line[n - 1] == '\n') line[--n] = '\0';
        reap_all();
        if (strncmp(line, "RUN ", 4) == 0) do_run(line + 4);
        else if (strncmp(line, "CLEAN", 5) == 0) do_clean(line + 5);
        else if (strcmp(line, "PING") == 0) reply("PONG\n");
        else reply("ERR unknown command\n");
    }
    return 0;
}
