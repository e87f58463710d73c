/*
 * berth-shim: supervises ONE container process for Berth's process runtime (like containerd's shim).
 *
 *   berth-shim --dir DIR --log FILE [--cwd DIR] [--uid N] [--gid N] [--groups N,N] -- COMMAND [ARG...]
 *
 * The agent starts it detached (its own session), with the container's environment as its own
 * environment (execvp resolves COMMAND with the container's PATH). The shim:
 *   - forks the container in its own process group, sets groups/gid/uid, chdir, execvp;
 *   - writes DIR/pid  {"pid","startTime"(field 22 of /proc/PID/stat),"shimPid","shimStartTime","startedAt"}
 *     so a restarted agent can tell a live container from a reused pid;
 *   - on fd 1 (a pipe from the agent) prints "PID STARTTIME\n" once exec succeeded, then closes it;
 *   - copies the container's stdout/stderr into FILE in CRI format
 *     "<RFC3339Nano> stdout|stderr F|P <line>\n" (lines over 16 KiB are split with tag P);
 *   - when the container exits: kills what is left of its process group (as a pid namespace would),
 *     writes DIR/exit {"exitCode","signal","finishedAt"[,"startError","message"]} atomically
 *     (temp + rename), then exits. Exit code as containerd reports it: code, or 128+signal.
 *   - if the container cannot start (exec/chdir/setuid fails) DIR/exit says so with exitCode 127
 *     (not found), 126 (not executable) or 128 (other setup step) and a message.
 * It survives the agent (so containers outlive an agent crash) and stays tiny: no threads, no heap
 * beyond a few buffers.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 16384
#define MAX_GROUPS 64
/* After the container exits, how long to keep reading output still buffered in the pipes when a
 * process that left the group keeps them open. */
#define DRAIN_MS 200

enum stage { STAGE_CHDIR = 1, STAGE_GROUPS, STAGE_GID, STAGE_UID, STAGE_EXEC };
struct child_error {
  int stage;
  int err;
};

struct stream {
  int fd;
  const char *name;
  size_t len;
  char buf[LINE_MAX_BYTES];
};

static int sigchld_pipe[2] = {-1, -1};
static int log_fd = -1;
static const char *state_dir;

static void on_sigchld(int sig) {
  int saved = errno;
  (void)sig;
  (void)!write(sigchld_pipe[1], "c", 1);
  errno = saved;
}

static void now_rfc3339(char *out, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, size - n, ".%09ldZ", ts.tv_nsec);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Field 22 of /proc/PID/stat (start time in clock ticks since boot); 0 when unknown. */
static unsigned long long proc_start_time(pid_t pid) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may contain spaces and parentheses */
  if (!p || p[1] != ' ') return 0;
  p += 2; /* field 3 */
  for (int i = 0; i < 19; i++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

static void write_state_file(const char *name, const char *content) {
  char tmp[PATH_MAX], dst[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", state_dir, name);
  snprintf(dst, sizeof dst, "%s/%s", state_dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, content, strlen(content));
  close(fd);
  /* No fsync: the file must survive an agent crash, not a power loss (containers would not either). */
  rename(tmp, dst);
}

static void json_escape(char *out, size_t size, const char *in) {
  size_t o = 0;
  for (; *in && o + 7 < size; in++) {
    unsigned char c = (unsigned char)*in;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(out + o, size - o, "\\u%04x", c);
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = 0;
}

static void write_exit(int exit_code, int signal_number, const char *start_error, const char *finished_at) {
  char finished[64], content[4096 + 256];
  if (finished_at) snprintf(finished, sizeof finished, "%s", finished_at);
  else now_rfc3339(finished, sizeof finished);
  if (start_error) {
    char msg[4096];
    json_escape(msg, sizeof msg, start_error);
    snprintf(content, sizeof content,
             "{\"exitCode\":%d,\"signal\":0,\"finishedAt\":\"%s\",\"startError\":true,\"message\":\"%s\"}\n",
             exit_code, finished, msg);
  } else {
    snprintf(content, sizeof content, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"}\n", exit_code,
             signal_number, finished);
  }
  write_state_file("exit", content);
}

/* strerror in the lower-case style of Go/runc messages ("no such file or directory"). */
static const char *err_text(int err, char *buf, size_t size) {
  snprintf(buf, size, "%s", strerror(err));
  if (buf[0] && !(buf[0] == 'I' && buf[1] == '/')) buf[0] = (char)tolower((unsigned char)buf[0]);
  return buf;
}

/* Fails before a container exists (bad arguments, log file): recorded like a start error. */
static void fail_setup(const char *what, int err) {
  char msg[PATH_MAX + 128], e[128];
  snprintf(msg, sizeof msg, "%s: %s", what, err_text(err, e, sizeof e));
  if (state_dir) write_exit(128, 0, msg, NULL);
  dprintf(2, "berth-shim: %s\n", msg);
  exit(1);
}

static void emit(struct stream *s, const char *data, size_t n, char tag) {
  char head[96];
  now_rfc3339(head, sizeof head);
  size_t h = strlen(head);
  h += (size_t)snprintf(head + h, sizeof head - h, " %s %c ", s->name, tag);
  struct iovec iov[3] = {{head, h}, {(void *)data, n}, {"\n", 1}};
  /* One writev per line: with O_APPEND the line lands whole even if someone else appends. */
  while (writev(log_fd, iov, 3) < 0 && errno == EINTR) {
  }
}

/* Reads what is available; returns 0 at end of stream. */
static int pump(struct stream *s) {
  ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
  if (n == 0) return 0;
  s->len += (size_t)n;
  size_t start = 0;
  for (size_t i = s->len - (size_t)n; i < s->len; i++) {
    if (s->buf[i] == '\n') {
      emit(s, s->buf + start, i - start, 'F');
      start = i + 1;
    }
  }
  if (start > 0) {
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
  }
  if (s->len == sizeof s->buf) { /* a line longer than the buffer: emit a partial chunk */
    emit(s, s->buf, s->len, 'P');
    s->len = 0;
  }
  return 1;
}

static void close_stream(struct stream *s) {
  if (s->len > 0) emit(s, s->buf, s->len, 'F');
  s->len = 0;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void child_fail(int fd, int stage) {
  struct child_error ce = {stage, errno};
  write_all(fd, (const char *)&ce, sizeof ce);
  _exit(stage == STAGE_EXEC ? 127 : 128);
}

static void usage(void) {
  dprintf(2, "usage: berth-shim --dir DIR --log FILE [--cwd DIR] [--uid N] [--gid N] [--groups N,N] -- COMMAND [ARG...]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *log_path = NULL, *cwd = NULL, *groups_arg = NULL;
  long uid = -1, gid = -1;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if (i + 1 >= argc) usage();
    const char *opt = argv[i], *val = argv[++i];
    if (strcmp(opt, "--dir") == 0) state_dir = val;
    else if (strcmp(opt, "--log") == 0) log_path = val;
    else if (strcmp(opt, "--cwd") == 0) cwd = val;
    else if (strcmp(opt, "--uid") == 0) uid = strtol(val, NULL, 10);
    else if (strcmp(opt, "--gid") == 0) gid = strtol(val, NULL, 10);
    else if (strcmp(opt, "--groups") == 0) groups_arg = val;
    else usage();
  }
  if (!state_dir || !log_path || i >= argc) usage();
  char **command = argv + i;

  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  /* Orphaned descendants of the container are re-parented to us and reaped here, since PID 1 may
   * not reap them on these machines. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  /* Supplementary groups: the primary gid plus the pod's supplementalGroups. */
  gid_t groups[MAX_GROUPS];
  int ngroups = 0;
  int set_ids = uid >= 0 || gid >= 0 || groups_arg != NULL;
  if (set_ids) {
    if (gid < 0 && uid >= 0) {
      struct passwd *pw = getpwuid((uid_t)uid); /* like a container: the user's group, else 0 */
      gid = pw ? (long)pw->pw_gid : 0;
    }
    groups[ngroups++] = gid >= 0 ? (gid_t)gid : getgid();
    for (const char *p = groups_arg; p && *p && ngroups < MAX_GROUPS;) {
      char *end;
      long g = strtol(p, &end, 10);
      if (end == p) break;
      groups[ngroups++] = (gid_t)g;
      p = *end == ',' ? end + 1 : end;
    }
  }

  log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) fail_setup(log_path, errno);

  int out[2], err[2], execp[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0 ||
      pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    fail_setup("pipe", errno);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  pid_t pid = fork();
  if (pid < 0) fail_setup("fork", errno);
  if (pid == 0) {
    setpgid(0, 0);
    /* Give the container default signal handling and an empty mask (ignored signals survive exec). */
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (cwd && chdir(cwd) < 0) child_fail(execp[1], STAGE_CHDIR);
    if (set_ids) {
      if (ngroups > 0 && setgroups((size_t)ngroups, groups) < 0) child_fail(execp[1], STAGE_GROUPS);
      if (gid >= 0 && setgid((gid_t)gid) < 0) child_fail(execp[1], STAGE_GID);
      if (uid >= 0 && setuid((uid_t)uid) < 0) child_fail(execp[1], STAGE_UID);
    }
    execvp(command[0], command);
    child_fail(execp[1], STAGE_EXEC);
  }
  setpgid(pid, pid); /* also from here, so the group exists before anyone signals it */
  close(out[1]);
  close(err[1]);
  close(execp[1]);

  char started[64], content[512];
  now_rfc3339(started, sizeof started);
  snprintf(content, sizeof content,
           "{\"pid\":%d,\"startTime\":%llu,\"shimPid\":%d,\"shimStartTime\":%llu,\"startedAt\":\"%s\"}\n", (int)pid,
           proc_start_time(pid), (int)getpid(), proc_start_time(getpid()), started);
  write_state_file("pid", content);

  /* The exec pipe closes on a successful exec (CLOEXEC) or carries the failing step and errno. */
  struct child_error ce;
  ssize_t n;
  while ((n = read(execp[0], &ce, sizeof ce)) < 0 && errno == EINTR) {
  }
  close(execp[0]);
  if (n == (ssize_t)sizeof ce) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    char msg[PATH_MAX + 256], e[128];
    const char *et = err_text(ce.err, e, sizeof e);
    int code = 128;
    switch (ce.stage) {
      case STAGE_CHDIR: snprintf(msg, sizeof msg, "chdir to workingDir \"%s\": %s", cwd, et); break;
      case STAGE_GROUPS: snprintf(msg, sizeof msg, "setgroups: %s", et); break;
      case STAGE_GID: snprintf(msg, sizeof msg, "setgid %ld: %s", gid, et); break;
      case STAGE_UID: snprintf(msg, sizeof msg, "setuid %ld: %s", uid, et); break;
      default:
        code = ce.err == ENOENT ? 127 : 126;
        if (ce.err == ENOENT && !strchr(command[0], '/'))
          snprintf(msg, sizeof msg, "exec: \"%s\": executable file not found in $PATH", command[0]);
        else if (ce.err == ENOENT)
          snprintf(msg, sizeof msg, "exec: \"%s\": stat %s: no such file or directory", command[0], command[0]);
        else
          snprintf(msg, sizeof msg, "exec: \"%s\": %s", command[0], et);
    }
    write_exit(code, 0, msg, NULL);
    return 0;
  }

  /* Started: tell the agent, then let go of its pipe (the agent may die; we must not care). */
  dprintf(1, "%d %llu\n", (int)pid, proc_start_time(pid));
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup2(devnull, 1);
    close(devnull);
  }

  static struct stream so, se;
  so.fd = out[0];
  so.name = "stdout";
  se.fd = err[0];
  se.name = "stderr";
  int exited = 0, status = 0;
  char finished_at[64] = "";
  long long drain_until = 0;
  for (;;) {
    struct pollfd fds[3];
    struct stream *owner[3];
    int nfds = 0;
    fds[nfds].fd = sigchld_pipe[0];
    fds[nfds].events = POLLIN;
    owner[nfds++] = NULL;
    if (so.fd >= 0) {
      fds[nfds].fd = so.fd;
      fds[nfds].events = POLLIN;
      owner[nfds++] = &so;
    }
    if (se.fd >= 0) {
      fds[nfds].fd = se.fd;
      fds[nfds].events = POLLIN;
      owner[nfds++] = &se;
    }
    int timeout = -1;
    if (exited) {
      if (nfds == 1) break;
      long long left = drain_until - now_ms();
      if (left <= 0) break;
      timeout = (int)left;
    }
    int r = poll(fds, (nfds_t)nfds, timeout);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r == 0) continue;
    if (fds[0].revents) {
      char drain[64];
      while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
      }
      int st;
      pid_t w;
      while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
        if (w == pid && !exited) {
          exited = 1;
          status = st;
          now_rfc3339(finished_at, sizeof finished_at);
          /* Like the end of a pid namespace: the rest of the container's group goes too. */
          kill(-pid, SIGKILL);
          drain_until = now_ms() + DRAIN_MS;
        }
      }
    }
    for (int k = 1; k < nfds; k++) {
      if (fds[k].revents && !pump(owner[k])) close_stream(owner[k]);
    }
  }
  close_stream(&so);
  close_stream(&se);
  if (!exited) { /* only if poll itself failed: still report the real exit */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    now_rfc3339(finished_at, sizeof finished_at);
    kill(-pid, SIGKILL);
  }
  /* Reap what the group kill left behind (we are their subreaper), without waiting. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }

  if (WIFSIGNALED(status)) write_exit(128 + WTERMSIG(status), WTERMSIG(status), NULL, finished_at);
  else write_exit(WEXITSTATUS(status), 0, NULL, finished_at);
  return 0;
}
