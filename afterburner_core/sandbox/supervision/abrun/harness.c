/*
 * Harness mode: one process (an interpreter or a JVM) runs every test, and *this* supervisor feeds
 * the tests, collects the answers and times each test itself.
 *
 * Protocol (descriptors of the harness process):
 *   fd 3 (supervisor -> harness): "TEST <i> <n>\n" + n bytes of input; EOF when no test is left
 *   fd 4 (harness -> supervisor): "READY\n" once started; "GO <i>\n" as soon as it has read the
 *        TEST line (before the input itself: reading it is the test's work, as for a process
 *        reading its stdin, and the gap between two tests holds nothing that grows with it);
 *        "DONE <i> <status> <n> <m>\n" + n bytes of output + m bytes of message, status
 *        ok | error | output_limit, right after the program returned.
 *
 * A test's window runs from the arrival of GO to the arrival of the complete DONE, on our clock;
 * its CPU is the harness tree's task-clock counter at those moments (exact: reading it interrupts
 * the measured core, so the slice in progress counts). Whatever the program does to the clocks or
 * files of its own process changes nothing here. Work it does *between* windows (in a destructor,
 * an exit hook, a hooked read of the next input, a thread woken after its test) is CPU spent in
 * the gap before the next GO; the analysis adds whatever exceeds the cost of the transfer to the
 * figures. Where perf events are refused, the per-process CPU clocks stand in; they lag by up to a
 * scheduler tick for a running task, so gaps are then judged by their wall time instead. Any
 * message out of sequence ends the run as tampered. The per-test time limit runs from GO (and from
 * TEST to GO, so a stalled harness cannot hold a test); the answers go to the caller in stream
 * records, never through a file the program could rewrite.
 */
#include "abrun.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HEADER 128
#define MAX_MESSAGE (1 << 20)

enum phase { WAIT_READY, WAIT_GO, RUNNING, RECEIVING, FINISHING, DONE_ALL };

static int task_clock_fd = -1;

/* The harness tree's CPU now: exact from its task-clock counter, else the per-process clocks. */
static int64_t job_cpu_ns(void) {
    uint64_t value;
    if (task_clock_fd >= 0 && read(task_clock_fd, &value, sizeof value) == sizeof value) return (int64_t)value;
    return tree_cpu_ns();
}

typedef struct {
    enum phase phase;
    int index;             /* the test being fed / run */
    int64_t deadline;
    char header[MAX_HEADER + 1];
    int header_len;
    int64_t want_out, want_msg; /* payload still to receive for the current DONE */
    char *pending;         /* the TEST line and input still to write to fd 3 */
    size_t pending_len, pending_off, pending_head;
    int64_t mark_ns, cpu_mark; /* the previous test's end (or READY): time and tree CPU */
    char *next;            /* the following test's input, read while the current test runs */
    size_t next_len;
    int next_index;
} session;

static int read_input(const char *path, char **data, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            close(fd);
            return -1;
        }
        if (used == cap) buf = realloc(buf, cap *= 2);
        if (!buf) continue;
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        used += (size_t)n;
    }
    close(fd);
    *data = buf;
    *len = used;
    return 0;
}

/* Read the input of test `index` ahead, while another test runs: the gap before it then holds
 * nothing but the transfer. */
static void prefetch(session *s, char **inputs, int ninputs, int index) {
    if (index >= ninputs || s->next_index == index) return;
    free(s->next);
    s->next = NULL;
    s->next_index = -1;
    if (read_input(inputs[index], &s->next, &s->next_len) == 0) s->next_index = index;
}

static int queue_test(session *s, char **inputs, int index) {
    char *data = NULL;
    size_t len = 0;
    if (s->next_index == index) {
        data = s->next;
        len = s->next_len;
        s->next = NULL;
        s->next_index = -1;
    } else if (read_input(inputs[index], &data, &len) != 0) {
        return -1;
    }
    char head[64];
    int h = snprintf(head, sizeof head, "TEST %d %zu\n", index, len);
    free(s->pending);
    s->pending = malloc(len + (size_t)h);
    if (!s->pending) {
        free(data);
        return -1;
    }
    memcpy(s->pending, head, (size_t)h);
    memcpy(s->pending + h, data, len);
    free(data);
    s->pending_len = len + (size_t)h;
    s->pending_head = (size_t)h;
    s->pending_off = 0;
    s->index = index;
    s->phase = WAIT_GO;
    s->deadline = now_ns() + opt.timeout_ms * 1000000LL;
    return 0;
}

static int status_code(const char *text) {
    if (!strcmp(text, "ok")) return TEST_OK;
    if (!strcmp(text, "error")) return TEST_ERROR;
    if (!strcmp(text, "output_limit")) return TEST_OUTPUT_LIMIT;
    return -1;
}

/* One header line from the harness; returns NULL when it fits the protocol, else why not. */
static const char *on_header(session *s, test_result *tests) {
    char word[16], status[16];
    int index = -1;
    long long n = -1, m = -1;
    if (sscanf(s->header, "%15s", word) != 1) return "an empty message on the test channel";
    if (!strcmp(word, "READY")) {
        if (s->phase != WAIT_READY || strcmp(s->header, "READY")) return "READY out of sequence";
        return NULL; /* the caller queues test 0 */
    }
    if (!strcmp(word, "GO")) {
        if (sscanf(s->header, "GO %d", &index) != 1 || s->phase != WAIT_GO || index != s->index ||
            s->pending_off < s->pending_head)
            return "GO out of sequence (before its TEST line was delivered, or for another test)";
        test_result *t = &tests[index];
        memset(t, 0, sizeof *t);
        t->begin_ns = now_ns();
        t->cpu_begin_ns = job_cpu_ns();
        t->gap_ns = t->begin_ns - s->mark_ns;
        t->gap_cpu_ns = t->cpu_begin_ns - s->cpu_mark;
        t->input_bytes = (int64_t)s->pending_len;
        s->phase = RUNNING;
        s->deadline = t->begin_ns + opt.timeout_ms * 1000000LL;
        return NULL;
    }
    if (!strcmp(word, "DONE")) {
        if (sscanf(s->header, "DONE %d %15s %lld %lld", &index, status, &n, &m) != 4 || s->phase != RUNNING ||
            index != s->index)
            return "DONE out of sequence";
        if (status_code(status) < 0 || n < 0 || m < 0 || m > MAX_MESSAGE) return "a malformed DONE";
        if (n > opt.output_bytes) return "an answer larger than the output limit";
        test_result *t = &tests[index];
        t->status = status_code(status);
        t->output.offset = test_log.len;
        t->message.offset = test_log.len + n;
        s->want_out = n;
        s->want_msg = m;
        s->phase = RECEIVING;
        return NULL;
    }
    return "an unknown message on the test channel";
}

/* No more tests for the harness: EOF on its test channel; it must exit within --teardown-ms. */
static void close_tests(session *s, int *tin_fd) {
    if (*tin_fd >= 0) close(*tin_fd);
    *tin_fd = -1;
    s->phase = FINISHING;
    s->deadline = now_ns() + opt.teardown_ms * 1000000LL;
}

/* The DONE of the current test is complete: stamp it, publish it, then feed the next test or
 * end the sequence (last test, a failure with --stop-on-failure, a STOP from the caller). Returns
 * NULL or why the run must end as tampered. */
static const char *complete_test(session *s, test_result *tests, int *ntests, char **inputs, int ninputs,
                                 int *tin_fd, run_result *res) {
    test_result *t = &tests[s->index];
    t->end_ns = now_ns();
    t->cpu_end_ns = job_cpu_ns();
    t->output.len = t->message.offset - t->output.offset;
    t->message.len = test_log.len - t->message.offset;
    s->mark_ns = t->end_ns;
    s->cpu_mark = t->cpu_end_ns;
    *ntests = s->index + 1;
    int index = s->index, failed = t->status != TEST_OK;
    const char *why = NULL;
    if (atomic_load(&stop_requested)) res->stopped = 1;
    if ((failed && opt.stop_on_failure) || res->stopped || index + 1 >= ninputs) close_tests(s, tin_fd);
    else if (queue_test(s, inputs, index + 1) != 0) why = "a test input could not be read";
    emit_test_record(index, t); /* after the next input is on its way: not in the harness's gap */
    return why;
}

void run_harness(char **argv, char **inputs, int ninputs, run_result *res, test_result *tests, int *ntests,
                 const char **tampered) {
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    res->instructions = -1;
    *ntests = 0;
    *tampered = NULL;
    int outp[2], errp[2], tin[2], tout[2];
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(tin, O_CLOEXEC) || pipe2(tout, O_CLOEXEC)) {
        res->spawn_errno = errno;
        return;
    }
    if (jail_ns_fd >= 0) {
        /* the harness may reopen its channel through /proc/self/fd (Java can name no descriptor
         * but 0, 1 and 2 otherwise): the pipes must be its own */
        if (fchown(tin[0], (uid_t)opt.jail_uid, (gid_t)opt.jail_uid) || fchown(tout[1], (uid_t)opt.jail_uid, (gid_t)opt.jail_uid)) {
            res->spawn_errno = errno;
            return;
        }
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    child_fds fds = {devnull, outp[1], errp[1], tin[0], tout[1]};
    res->out.offset = out_log.len;
    res->err.offset = err_log.len;
    sampler_baseline();
    int exec_err = -1, go = -1;
    pid_t pid = spawn_child(argv, &fds, &exec_err, &go);
    close(devnull);
    close(outp[1]);
    close(errp[1]);
    close(tin[0]);
    close(tout[1]);
    if (pid < 0) {
        res->spawn_errno = errno;
        close(outp[0]); close(errp[0]); close(tin[1]); close(tout[0]);
        return;
    }
    int counter = open_instruction_counter(pid);
    task_clock_fd = open_task_clock(pid);
    if (write(go, "g", 1) < 0) {
    }
    close(go);
    int child_errno = 0;
    ssize_t r;
    do r = read(exec_err, &child_errno, sizeof child_errno); while (r < 0 && errno == EINTR);
    close(exec_err);
    int64_t start = now_ns();
    if (exec_stamp && *exec_stamp > 0 && *exec_stamp <= start) start = *exec_stamp;
    if (r > 0) {
        res->spawn_errno = child_errno;
    } else {
        sampler_begin(res, pid, start);
    }
    fcntl(tin[1], F_SETFL, O_NONBLOCK);
    fcntl(tin[1], F_SETPIPE_SZ, 1 << 20); /* most inputs in one write: less switching in the gap */
    session s = {.phase = WAIT_READY, .index = -1, .next_index = -1, .deadline = start + opt.startup_ms * 1000000LL};
    int out_open = 1, err_open = 1, tout_open = 1, tin_fd = tin[1], exited = 0, status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    while (!exited && !res->spawn_errno) {
        struct pollfd pf[8];
        int n = 0;
        if (pidfd >= 0) pf[n++] = (struct pollfd){pidfd, POLLIN, 0};
        int io = n;
        if (out_open) pf[n++] = (struct pollfd){outp[0], POLLIN, 0};
        if (err_open) pf[n++] = (struct pollfd){errp[0], POLLIN, 0};
        if (tout_open) pf[n++] = (struct pollfd){tout[0], POLLIN, 0};
        if (tin_fd >= 0 && s.pending && s.pending_off < s.pending_len) pf[n++] = (struct pollfd){tin_fd, POLLOUT, 0};
        int watch = n;
        n = add_watch_fds(pf, n);
        int64_t left = s.deadline - now_ns();
        int wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        if (pidfd < 0 && wait_ms > 1) wait_ms = 1;
        poll(pf, (nfds_t)n, wait_ms);
        check_watch_fds(pf, watch, n);
        for (int i = io; i < watch; i++) {
            int fd = pf[i].fd;
            if (fd == tin_fd) {
                if (!(pf[i].revents & (POLLOUT | POLLERR | POLLHUP))) continue;
                ssize_t w = write(fd, s.pending + s.pending_off, s.pending_len - s.pending_off);
                if (w > 0) s.pending_off += (size_t)w;
                else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    close(tin_fd);
                    tin_fd = -1;
                }
                continue;
            }
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                if (fd == outp[0]) out_open = 0;
                else if (fd == errp[0]) err_open = 0;
                else tout_open = 0;
                continue;
            }
            if (fd == outp[0] || fd == errp[0]) {
                int is_out = fd == outp[0];
                int64_t *count = is_out ? &res->out_bytes : &res->err_bytes;
                int64_t room = opt.output_bytes - *count;
                if (room > 0) membuf_append(is_out ? &out_log : &err_log, buf, got < room ? (size_t)got : (size_t)room);
                *count += got;
                continue;
            }
            /* the test channel: headers and payloads */
            for (ssize_t k = 0; k < got && !*tampered;) {
                if (s.phase == RECEIVING) {
                    int64_t *want = s.want_out > 0 ? &s.want_out : &s.want_msg;
                    int64_t take = got - k < *want ? got - k : *want;
                    membuf_append(&test_log, buf + k, (size_t)take);
                    *want -= take;
                    k += take;
                    if (s.want_out == 0 && s.want_msg == 0)
                        *tampered = complete_test(&s, tests, ntests, inputs, ninputs, &tin_fd, res);
                    continue;
                }
                char c = buf[k++];
                if (s.phase == FINISHING) {
                    *tampered = "a message after the last test";
                    break;
                }
                if (c != '\n') {
                    if (s.header_len >= MAX_HEADER) {
                        *tampered = "an overlong message on the test channel";
                        break;
                    }
                    s.header[s.header_len++] = c;
                    continue;
                }
                s.header[s.header_len] = 0;
                s.header_len = 0;
                enum phase before = s.phase;
                *tampered = on_header(&s, tests);
                if (*tampered) break;
                if (before == WAIT_READY) {
                    s.cpu_mark = job_cpu_ns();
                    s.mark_ns = now_ns();
                    res->startup_ns = s.mark_ns - start;
                    if (ninputs == 0) close_tests(&s, &tin_fd);
                    else if (queue_test(&s, inputs, 0) != 0) *tampered = "a test input could not be read";
                } else if (s.phase == RUNNING) {
                    prefetch(&s, inputs, ninputs, s.index + 1);
                } else if (s.phase == RECEIVING && s.want_out == 0 && s.want_msg == 0) {
                    *tampered = complete_test(&s, tests, ntests, inputs, ninputs, &tin_fd, res);
                }
            }
        }
        if (*tampered) {
            kill_tree(pid);
        }
        if (res->out_bytes + res->err_bytes > opt.output_bytes && !res->output_exceeded) {
            res->output_exceeded = 1;
            kill_tree(pid);
        }
        if ((atomic_load(&stop_requested) || atomic_load(&terminate_requested)) && s.phase != FINISHING && !res->stopped &&
            !res->timed_out) {
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
                reaped_cpu_ns += ((int64_t)cru.ru_utime.tv_sec * 1000000 + cru.ru_utime.tv_usec +
                                  (int64_t)cru.ru_stime.tv_sec * 1000000 + cru.ru_stime.tv_usec) * 1000;
            }
        }
        if (exited) break;
        if (now_ns() >= s.deadline && !res->timed_out) {
            if (s.phase == FINISHING) res->lingered = 1;
            else res->timed_out = 1;
            res->timed_out_test = s.phase == WAIT_READY ? -1 : s.index;
            kill_tree(pid);
            s.deadline = now_ns() + 2000000000LL;
        }
    }
    int64_t end = now_ns();
    if (!res->spawn_errno) sampler_end(res, end);
    res->end_ns = end;
    if (pidfd >= 0) close(pidfd);
    res->cpu_exact = task_clock_fd >= 0;
    if (task_clock_fd >= 0) close(task_clock_fd);
    task_clock_fd = -1;
    if (counter >= 0) {
        uint64_t value = 0;
        if (read(counter, &value, sizeof value) == sizeof value) res->instructions = (int64_t)value;
        close(counter);
    }
    sweep_survivors(pid, res);
    for (int k = 0; k < 2; k++) {
        int fd = k == 0 ? outp[0] : errp[0];
        int still = k == 0 ? out_open : err_open;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        char buf[65536];
        ssize_t got;
        while (still && (got = read(fd, buf, sizeof buf)) > 0) {
            int64_t *count = k == 0 ? &res->out_bytes : &res->err_bytes;
            int64_t room = opt.output_bytes - *count;
            if (room > 0) membuf_append(k == 0 ? &out_log : &err_log, buf, got < room ? (size_t)got : (size_t)room);
            *count += got;
        }
        close(fd);
    }
    if (tin_fd >= 0) close(tin_fd);
    close(tout[0]);
    free(s.pending);
    free(s.next);
    res->out.len = out_log.len - res->out.offset;
    res->err.len = err_log.len - res->err.offset;
    if (res->out_bytes + res->err_bytes > opt.output_bytes) res->output_exceeded = 1;
    if (WIFEXITED(status) && exited) res->exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status) && exited) res->signal_no = WTERMSIG(status);
    res->utime_us = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec;
    res->stime_us = (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    if (exec_stamp && exec_stamp[0] > 0) {
        res->utime_us = res->utime_us > exec_stamp[1] ? res->utime_us - exec_stamp[1] : 0;
        res->stime_us = res->stime_us > exec_stamp[2] ? res->stime_us - exec_stamp[2] : 0;
    }
    res->maxrss_kb = ru.ru_maxrss;
}
