/*
 * berth-shim: supervises ONE container process for Berth's process runtime (like containerd's shim).
 *
 *   berth-shim --dir DIR --log FILE [SETUP...] -- COMMAND [ARG...]     supervise a container
 *   berth-shim --enter PID [SETUP...] -- COMMAND [ARG...]                 exec into a running one
 *   berth-shim --pty FD [--pty-size "COLS ROWS"] [--enter PID SETUP...] -- COMMAND [ARG...]
 *                                                                         the same with a terminal
 *   --stdin, --stdin-once, --tty (supervise mode): keep the container's stdin / give it a pty, for
 *   attach clients on DIR/attach.sock (see "attach" below); --pty: see "terminals" below.
 *
 * SETUP (each applied in the container process before exec, in this order):
 *   --cgroup FILE          a cgroup.procs file (repeatable): the container's cgroup, joined before exec
 *                          (supervise mode: the shim moves the child; --enter: the process itself)
 *   --cgroup-no-wait       supervise mode, for a container without limits (its cgroup only counts and
 *                          cleans up): the command starts without waiting for the move, which
 *                          waits for the kernel (see move_into_cgroup); the processes it started in
 *                          the meantime are moved after it, before the agent hears "started"
 *   --ro-root              private mount namespace: every mount but /proc, /sys, /dev read-only
 *   --rw PATH              ... except PATH (repeatable): bind-mounted writable
 *   --bind SRC --to DST    create SRC empty (mode 0666) and bind-mount it onto DST (the termination
 *                          message file), writable; DST is created empty on the host if missing
 *   --mask PATH, --ro PATH hide PATH (empty file or folder) / make it read-only (repeatable): the
 *                          /proc and /sys paths a container runtime masks (procMount Default)
 *   --cwd DIR  --gid N  --groups N,N  --uid N
 *   --caps HEX             keep only these capabilities (bounding, permitted, effective; inheritable
 *                          and ambient cleared, as containerd does); absent: keep all (privileged)
 *   --no-new-privs         prctl(PR_SET_NO_NEW_PRIVS): allowPrivilegeEscalation false
 *   --seccomp default      the built-in RuntimeDefault filter (see seccomp_default below)
 *   --oom-file FILE        supervise mode: a file with an "oom_kill N" line (memory.oom_control or
 *                          memory.events); N > 0 after the exit records reason OOMKilled
 * --enter PID joins PID's mount namespace first (the other SETUP options must be the container's)
 * and then execs COMMAND itself: the caller gets its stdio and exit code (127 not found, 126 other
 * setup failure, with a message on stderr).
 *
 * The agent starts it detached (its own session), with the container's environment as its own
 * environment (execvp resolves COMMAND with the container's PATH). The shim:
 *   - forks the container in its own process group, sets groups/gid/uid, chdir, execvp;
 *   - writes DIR/pid  {"pid","startTime"(field 22 of /proc/PID/stat),"shimPid","shimStartTime","startedAt"}
 *     so a restarted agent can tell a live container from a reused pid;
 *   - on fd 1 (a pipe from the agent) prints "PID STARTTIME\n" once exec succeeded, then closes it;
 *   - copies the container's stdout/stderr into FILE in CRI format
 *     "<RFC3339Nano> stdout|stderr F|P <line>\n" (lines over 16 KiB are split with tag P);
 *     with --log-max-size BYTES [--log-max-files N] it rotates FILE itself before a line would
 *     pass BYTES (FILE -> FILE.<UTC yyyymmdd-hhmmss>[-kkk], the kubelet's names) and removes the
 *     oldest rotated files beyond N-1 (the agent compresses the older ones); a line that cannot be
 *     written (full disk, read-only) is dropped and counted in DIR/logdrop
 *     {"lines","bytes","failing"}, and writing resumes when space returns;
 *   - when the container exits: kills what is left of its process group (as a pid namespace would),
 *     writes DIR/exit {"exitCode","signal","finishedAt"[,"startError","message"]} atomically
 *     (temp + rename), then exits. Exit code as containerd reports it: code, or 128+signal.
 *   - if the container cannot start (exec/chdir/setuid fails) DIR/exit says so with exitCode 127
 *     (not found), 126 (not executable) or 128 (other setup step) and a message.
 * The mount namespace steps run only when one of --ro-root/--bind/--mask/--ro is given.
 * It survives the agent (so containers outlive an agent crash) and stays tiny: no threads, no heap
 * beyond a few buffers.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
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
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
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

#define MAX_LIST 32

enum stage {
  STAGE_CHDIR = 1,
  STAGE_GROUPS,
  STAGE_GID,
  STAGE_UID,
  STAGE_EXEC,
  STAGE_CGROUP,
  STAGE_MOUNTNS,
  STAGE_READONLY,
  STAGE_RW,
  STAGE_BIND,
  STAGE_ENTER,
  STAGE_CAPS,
  STAGE_NNP,
  STAGE_SECCOMP,
  STAGE_TTY
};
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

static void write_exit(int exit_code, int signal_number, const char *start_error, const char *finished_at,
                       const char *reason) {
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
    snprintf(content, sizeof content, "{\"exitCode\":%d,\"signal\":%d,\"finishedAt\":\"%s\"%s%s%s}\n", exit_code,
             signal_number, finished, reason ? ",\"reason\":\"" : "", reason ? reason : "", reason ? "\"" : "");
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
  if (state_dir) write_exit(128, 0, msg, NULL, NULL);
  dprintf(2, "berth-shim: %s\n", msg);
  exit(1);
}

/* ---- The log file: rotation at the size limit, and dropping (counted) when it cannot be written.
 * Rotation happens here, before the line that would pass the limit, so the disk never holds more
 * than max-files * max-size whatever the container prints between two passes of the agent. */
static const char *log_file;
static long long log_max_size; /* 0: never rotate */
static int log_max_files = 5;
static long long log_size;
static int log_reopen_pending; /* renamed, but the new file could not be created yet */
static long long log_retry_at_ms;
static unsigned long long log_dropped_lines, log_dropped_bytes;
static int log_failing;
static long long log_drop_reported_ms;
#define LOG_RETRY_MS 1000
#define MAX_ROTATED 256

static int log_open(void) {
  int fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return -1;
  struct stat st;
  log_size = fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
  if (log_fd >= 0) close(log_fd);
  log_fd = fd;
  return 0;
}

/* Rotated files sort by name without ".gz", so a compressed file keeps its place. */
static int rotated_order(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t lx = strlen(x), ly = strlen(y);
  if (lx > 3 && strcmp(x + lx - 3, ".gz") == 0) lx -= 3;
  if (ly > 3 && strcmp(y + ly - 3, ".gz") == 0) ly -= 3;
  int c = memcmp(x, y, lx < ly ? lx : ly);
  return c ? c : (lx > ly) - (lx < ly);
}

/* Keeps the newest max-files - 1 rotated files of FILE (compressions in progress, *.tmp, aside). */
static void log_prune(void) {
  char dir[PATH_MAX];
  const char *slash = strrchr(log_file, '/');
  const char *base = slash ? slash + 1 : log_file;
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - log_file) : 1, slash ? log_file : ".");
  DIR *d = opendir(dir);
  if (!d) return;
  char *names[MAX_ROTATED];
  int n = 0;
  size_t blen = strlen(base);
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < MAX_ROTATED) {
    size_t len = strlen(e->d_name);
    if (strncmp(e->d_name, base, blen) != 0 || e->d_name[blen] != '.') continue;
    if (len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0) continue;
    names[n] = strdup(e->d_name);
    if (names[n]) n++;
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, rotated_order);
  for (int k = 0; k < n; k++) {
    if (k < n - (log_max_files - 1)) {
      char path[PATH_MAX * 2];
      snprintf(path, sizeof path, "%s/%s", dir, names[k]);
      unlink(path);
    }
    free(names[k]);
  }
}

static void log_rotate(void) {
  char stamp[32], target[PATH_MAX], compressed[PATH_MAX + 8];
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  for (int k = 1;; k++) {
    if (k == 1) snprintf(target, sizeof target, "%s.%s", log_file, stamp);
    else snprintf(target, sizeof target, "%s.%s-%03d", log_file, stamp, k);
    snprintf(compressed, sizeof compressed, "%s.gz", target);
    if (access(target, F_OK) != 0 && access(compressed, F_OK) != 0) break;
  }
  if (rename(log_file, target) < 0) {
    log_retry_at_ms = now_ms() + LOG_RETRY_MS; /* keep appending to the live file meanwhile */
    return;
  }
  /* Pruned before the new file exists, so there are never more than max-files files. */
  log_prune();
  if (log_open() < 0) {
    /* Lines keep going to the renamed file (still open) until the new one can be created. */
    log_reopen_pending = 1;
    log_retry_at_ms = now_ms() + LOG_RETRY_MS;
  }
}

static void log_report_drops(void) {
  char content[160];
  snprintf(content, sizeof content, "{\"lines\":%llu,\"bytes\":%llu,\"failing\":%s}\n", log_dropped_lines,
           log_dropped_bytes, log_failing ? "true" : "false");
  write_state_file("logdrop", content);
  log_drop_reported_ms = now_ms();
}

/* Writes one whole CRI line (one writev, so with O_APPEND it lands whole), or drops and counts it. */
static void log_write(struct iovec *iov, int count, size_t total) {
  if (log_reopen_pending) {
    if (now_ms() >= log_retry_at_ms) {
      if (log_open() == 0) {
        log_reopen_pending = 0;
        log_prune();
      } else {
        log_retry_at_ms = now_ms() + LOG_RETRY_MS;
      }
    }
  } else if (log_max_size > 0 && log_size > 0 && log_size + (long long)total > log_max_size &&
             (log_retry_at_ms == 0 || now_ms() >= log_retry_at_ms)) {
    log_rotate();
  }
  ssize_t w;
  while ((w = writev(log_fd, iov, count)) < 0 && errno == EINTR) {
  }
  if (w == (ssize_t)total) {
    log_size += w;
    if (log_failing) {
      log_failing = 0;
      log_report_drops();
    }
    return;
  }
  if (w > 0) { /* half a line would glue onto the next one: cut the file back to whole lines */
    off_t end = lseek(log_fd, 0, SEEK_END);
    if (end >= w) (void)!ftruncate(log_fd, end - w);
  }
  log_dropped_lines++;
  log_dropped_bytes += total;
  int first = !log_failing;
  log_failing = 1;
  if (first || now_ms() - log_drop_reported_ms >= LOG_RETRY_MS) log_report_drops();
}

static void emit(struct stream *s, const char *data, size_t n, char tag) {
  char head[96];
  now_rfc3339(head, sizeof head);
  size_t h = strlen(head);
  h += (size_t)snprintf(head + h, sizeof head - h, " %s %c ", s->name, tag);
  struct iovec iov[3] = {{head, h}, {(void *)data, n}, {"\n", 1}};
  log_write(iov, 3, h + n + 1);
}

static void attach_output(const char *stream, const char *data, size_t n); /* see "attach" below */

/* Reads what is available; returns 0 at end of stream. */
static int pump(struct stream *s) {
  ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
  if (n == 0) return 0;
  attach_output(s->name, s->buf + s->len, (size_t)n);
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

/* What the container process must become before exec; the same for the container and for a
 * process exec'd into it later (--enter). */
struct setup {
  const char *cwd;
  long uid, gid;
  gid_t groups[MAX_GROUPS];
  int ngroups, set_ids;
  const char *cgroups[MAX_LIST];
  int ncgroups;
  int ro_root;
  const char *mask[MAX_LIST], *ro[MAX_LIST]; /* procMount Default: hidden, and read-only paths */
  int nmask, nro;
  const char *rw[MAX_LIST];
  int nrw;
  const char *bind_src, *bind_dst;
  int has_caps;
  unsigned long long caps;
  int no_new_privs, seccomp;
  const char *failed_path; /* the path a failing step was about, for the message */
};

static int setup_fail_fd = -1; /* supervise mode: the exec pipe; enter mode: -1 (report on stderr) */
static struct setup S;
static char **command;

static void stage_message(char *msg, size_t size, int stage, int err) {
  char e[128];
  const char *et = err_text(err, e, sizeof e);
  const char *p = S.failed_path ? S.failed_path : "";
  switch (stage) {
    case STAGE_CHDIR: snprintf(msg, size, "chdir to workingDir \"%s\": %s", S.cwd, et); break;
    case STAGE_GROUPS: snprintf(msg, size, "setgroups: %s", et); break;
    case STAGE_GID: snprintf(msg, size, "setgid %ld: %s", S.gid, et); break;
    case STAGE_UID: snprintf(msg, size, "setuid %ld: %s", S.uid, et); break;
    case STAGE_CGROUP: snprintf(msg, size, "joining the container's cgroup (%s): %s", p, et); break;
    case STAGE_MOUNTNS: snprintf(msg, size, "creating a private mount namespace: %s", et); break;
    case STAGE_READONLY: snprintf(msg, size, "making the root filesystem read-only (remount %s): %s", p, et); break;
    case STAGE_RW: snprintf(msg, size, "keeping %s writable under the read-only root: %s", p, et); break;
    case STAGE_BIND: snprintf(msg, size, "mounting the termination message file at %s: %s", p, et); break;
    case STAGE_ENTER: snprintf(msg, size, "entering the container's mount namespace (%s): %s", p, et); break;
    case STAGE_CAPS: snprintf(msg, size, "setting capabilities: %s", et); break;
    case STAGE_NNP: snprintf(msg, size, "setting no_new_privs: %s", et); break;
    case STAGE_SECCOMP: snprintf(msg, size, "loading the RuntimeDefault seccomp filter: %s", et); break;
    case STAGE_TTY: snprintf(msg, size, "making the pseudo-terminal %s the controlling terminal: %s", p, et); break;
    default:
      if (err == ENOENT && !strchr(command[0], '/'))
        snprintf(msg, size, "exec: \"%s\": executable file not found in $PATH", command[0]);
      else if (err == ENOENT)
        snprintf(msg, size, "exec: \"%s\": stat %s: no such file or directory", command[0], command[0]);
      else
        snprintf(msg, size, "exec: \"%s\": %s", command[0], et);
  }
}

static void child_fail(int stage) {
  int err = errno;
  if (setup_fail_fd < 0) {
    char msg[PATH_MAX + 256];
    stage_message(msg, sizeof msg, stage, err);
    dprintf(2, "berth-shim: %s\n", msg);
    _exit(stage == STAGE_EXEC && err == ENOENT ? 127 : 126);
  }
  struct child_error ce = {stage, err};
  write_all(setup_fail_fd, (const char *)&ce, sizeof ce);
  _exit(stage == STAGE_EXEC ? 127 : 128);
}

/* ---- mounts (a private mount namespace, as a container has) ---- */

static unsigned long mount_flags_of(const char *path) {
  struct statvfs st;
  unsigned long flags = 0;
  if (statvfs(path, &st) < 0) return 0;
  /* A bind remount must repeat these locked flags or it fails with EPERM. */
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

static int remount(const char *path, int readonly) {
  return mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | mount_flags_of(path) | (readonly ? MS_RDONLY : 0), NULL);
}

static int under(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(path, prefix, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* mountinfo field 5 (the mount point), unescaped in place (\040 = space). */
static char *mount_point_field(char *line) {
  char *p = line;
  for (int i = 0; i < 4 && p; i++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  if (!p) return NULL;
  char *end = strchr(p, ' ');
  if (end) *end = 0;
  char *w = p;
  for (char *r = p; *r; r++) {
    if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] && r[3]) {
      *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
      r += 3;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
  return p;
}

static void readonly_root(void) {
  S.failed_path = "/";
  if (remount("/", 1) < 0) child_fail(STAGE_READONLY);
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) child_fail(STAGE_READONLY);
  char line[PATH_MAX * 2];
  while (fgets(line, sizeof line, f)) {
    char *mp = mount_point_field(line);
    if (!mp || strcmp(mp, "/") == 0) continue;
    /* Kernel interfaces stay as they are (a container gets its own /proc, /sys and /dev). */
    if (under(mp, "/proc") || under(mp, "/sys") || under(mp, "/dev")) continue;
    /* Mounts the process cannot see or that vanished meanwhile are skipped, not fatal. */
    if (remount(mp, 1) < 0 && errno != ENOENT && errno != EINVAL && errno != EACCES) {
      S.failed_path = strdup(mp);
      fclose(f);
      child_fail(STAGE_READONLY);
    }
  }
  fclose(f);
  for (int i = 0; i < S.nrw; i++) {
    S.failed_path = S.rw[i];
    if (mount(S.rw[i], S.rw[i], NULL, MS_BIND | MS_REC, NULL) < 0 || remount(S.rw[i], 0) < 0) child_fail(STAGE_RW);
  }
}

static void mask_proc(void) {
  for (int i = 0; i < S.nmask; i++) {
    struct stat st;
    if (stat(S.mask[i], &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) mount("tmpfs", S.mask[i], "tmpfs", MS_RDONLY, "size=0");
    else mount("/dev/null", S.mask[i], NULL, MS_BIND, NULL);
  }
  for (int i = 0; i < S.nro; i++) {
    if (mount(S.ro[i], S.ro[i], NULL, MS_BIND | MS_REC, NULL) == 0) remount(S.ro[i], 1);
  }
}

static void make_parents(const char *path) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    mkdir(buf, 0755);
    *p = '/';
  }
}

/* The per-container termination message file: fresh, empty and writable by any container user. */
static void create_message_file(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail_setup(path, errno);
  fchmod(fd, 0666); /* open's mode is cut by the umask */
  close(fd);
}

static void mount_namespace(void) {
  if (!S.ro_root && !S.nmask && !S.nro && !S.bind_src) return;
  if (unshare(CLONE_NEWNS) < 0) child_fail(STAGE_MOUNTNS);
  /* Slave: the host's later mounts still show up here, nothing done here leaks out. */
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) child_fail(STAGE_MOUNTNS);
  if (S.ro_root) readonly_root();
  if (S.bind_src) {
    S.failed_path = S.bind_dst;
    /* The bind needs a mount point: an empty file is made on the host where nothing is (e.g.
     * /dev/termination-log). Only this namespace sees what is mounted on it. */
    if (access(S.bind_dst, F_OK) < 0) {
      make_parents(S.bind_dst);
      int fd = open(S.bind_dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) close(fd);
    }
    if (mount(S.bind_src, S.bind_dst, NULL, MS_BIND, NULL) < 0 || remount(S.bind_dst, 0) < 0) child_fail(STAGE_BIND);
  }
  mask_proc();
}

/* ---- capabilities ---- */

static int last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  char buf[16] = {0};
  if (fd < 0) return CAP_LAST_CAP;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? atoi(buf) : CAP_LAST_CAP;
}

static int has_cap(int cap) {
  return !S.has_caps || (cap < 64 && (S.caps >> cap) & 1);
}

/* Bounding set first (needs CAP_SETPCAP, so before setuid drops the effective set). */
static void drop_bounding(void) {
  if (!S.has_caps) return;
  int last = last_cap();
  for (int cap = 0; cap <= last; cap++) {
    if (has_cap(cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) child_fail(STAGE_CAPS);
  }
}

/* After setuid (with PR_SET_KEEPCAPS): permitted = effective = the kept set, inheritable and ambient
 * empty. A non-root user then ends with no effective capabilities after exec, exactly as under
 * containerd; uid 0 gets the bounding set. */
static void set_caps(void) {
  if (!S.has_caps) return;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (unsigned)(S.caps & 0xffffffffu);
  data[1].effective = data[1].permitted = (unsigned)(S.caps >> 32);
  if (syscall(SYS_capset, &header, data) < 0) child_fail(STAGE_CAPS);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* ---- seccomp RuntimeDefault ----
 * The built-in profile refuses (EPERM) what the container runtimes' default profile leaves out:
 * syscalls that change the kernel, the clock, other processes' memory or the mount/namespace
 * setup, the keyring, and 32-bit ABIs that would bypass the list. As in that profile, a capability
 * the container was given re-allows the calls it exists for (CAP_SYS_ADMIN: mount, unshare, ...).
 * It is a deny list, not the profile's allow list of ~350 calls: new kernel calls are allowed. */
#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef SECCOMP_ARCH
struct denied {
  int nr;
  int cap; /* -1: always denied; else allowed when the container keeps this capability */
};

static const struct denied denied_calls[] = {
#ifdef __NR_acct
    {__NR_acct, CAP_SYS_PACCT},
#endif
    {__NR_add_key, -1}, {__NR_keyctl, -1}, {__NR_request_key, -1},
    {__NR_bpf, CAP_SYS_ADMIN}, {__NR_clock_adjtime, CAP_SYS_TIME}, {__NR_clock_settime, CAP_SYS_TIME},
    {__NR_settimeofday, CAP_SYS_TIME},
#ifdef __NR_create_module
    {__NR_create_module, -1},
#endif
    {__NR_delete_module, CAP_SYS_MODULE}, {__NR_finit_module, CAP_SYS_MODULE}, {__NR_init_module, CAP_SYS_MODULE},
#ifdef __NR_get_kernel_syms
    {__NR_get_kernel_syms, -1},
#endif
    {__NR_get_mempolicy, CAP_SYS_NICE}, {__NR_mbind, CAP_SYS_NICE}, {__NR_set_mempolicy, CAP_SYS_NICE},
    {__NR_move_pages, CAP_SYS_NICE},
#ifdef __NR_iopl
    {__NR_iopl, CAP_SYS_RAWIO},
#endif
#ifdef __NR_ioperm
    {__NR_ioperm, CAP_SYS_RAWIO},
#endif
    {__NR_kcmp, CAP_SYS_PTRACE}, {__NR_process_vm_readv, CAP_SYS_PTRACE}, {__NR_process_vm_writev, CAP_SYS_PTRACE},
    {__NR_kexec_load, -1},
#ifdef __NR_kexec_file_load
    {__NR_kexec_file_load, -1},
#endif
    {__NR_lookup_dcookie, CAP_SYS_ADMIN}, {__NR_mount, CAP_SYS_ADMIN}, {__NR_umount2, CAP_SYS_ADMIN},
#ifdef __NR_umount
    {__NR_umount, CAP_SYS_ADMIN},
#endif
    {__NR_pivot_root, CAP_SYS_ADMIN}, {__NR_unshare, CAP_SYS_ADMIN}, {__NR_setns, CAP_SYS_ADMIN},
    {__NR_name_to_handle_at, CAP_SYS_ADMIN}, {__NR_open_by_handle_at, -1}, {__NR_perf_event_open, CAP_SYS_ADMIN},
    {__NR_quotactl, CAP_SYS_ADMIN}, {__NR_sethostname, CAP_SYS_ADMIN}, {__NR_setdomainname, CAP_SYS_ADMIN},
    {__NR_syslog, CAP_SYS_ADMIN}, {__NR_fanotify_init, CAP_SYS_ADMIN},
#ifdef __NR_fsopen
    {__NR_fsopen, CAP_SYS_ADMIN}, {__NR_fsconfig, CAP_SYS_ADMIN}, {__NR_fsmount, CAP_SYS_ADMIN},
    {__NR_fspick, CAP_SYS_ADMIN}, {__NR_move_mount, CAP_SYS_ADMIN}, {__NR_open_tree, CAP_SYS_ADMIN},
#endif
#ifdef __NR_nfsservctl
    {__NR_nfsservctl, -1},
#endif
#ifdef __NR_query_module
    {__NR_query_module, -1},
#endif
    {__NR_reboot, CAP_SYS_BOOT}, {__NR_swapon, CAP_SYS_ADMIN}, {__NR_swapoff, CAP_SYS_ADMIN},
#ifdef __NR_sysfs
    {__NR_sysfs, -1},
#endif
#ifdef __NR__sysctl
    {__NR__sysctl, -1},
#endif
#ifdef __NR_uselib
    {__NR_uselib, -1},
#endif
    {__NR_userfaultfd, -1},
#ifdef __NR_ustat
    {__NR_ustat, -1},
#endif
    {__NR_vhangup, CAP_SYS_TTY_CONFIG},
};

#define NS_FLAGS \
  (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

static void seccomp_default(void) {
  struct sock_filter prog[256];
  int n = 0;
  const int admin = has_cap(CAP_SYS_ADMIN);
#define EMIT(code, k, jt, jf) prog[n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf)
  /* Other ABIs (i386 on x86_64) would reach the same calls by other numbers: refused. */
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
  EMIT(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0);
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
#if defined(__x86_64__)
  EMIT(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1); /* x32 */
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
#endif
  for (size_t i = 0; i < sizeof denied_calls / sizeof denied_calls[0]; i++) {
    const struct denied *d = &denied_calls[i];
    if (d->cap >= 0 && has_cap(d->cap)) continue;
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)d->nr, 0, 1);
    EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
  }
  if (!admin) {
    /* clone with namespace flags (x86_64 and arm64 take the flags as the first argument). */
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 4);
    EMIT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]), 0, 0);
    EMIT(BPF_JMP | BPF_JSET | BPF_K, NS_FLAGS, 0, 1);
    EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM, 0, 0);
    EMIT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
#ifdef __NR_clone3
    /* clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone. */
    EMIT(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1);
    EMIT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
#endif
  }
  EMIT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
#undef EMIT
  struct sock_fprog fprog = {(unsigned short)n, prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0 &&
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
    child_fail(STAGE_SECCOMP);
}
#else
static void seccomp_default(void) {
  errno = ENOSYS; /* no built-in filter for this architecture: refuse rather than run unconfined */
  child_fail(STAGE_SECCOMP);
}
#endif

/* The "oom_kill N" line of memory.oom_control (v1) or memory.events (v2); 0 when unknown. */
static long oom_kill_count(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  char line[256];
  long count = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "oom_kill ", 9) == 0) count = strtol(line + 9, NULL, 10);
  }
  fclose(f);
  return count;
}

/* --cgroup-no-wait: the command runs while the shim moves it. */
static int cgroup_no_wait;

/* Writes PID into every hierarchy of the container's cgroup; errno of the first failure, 0 when done. */
static int move_into_cgroup(pid_t pid, int *failed) {
  char text[32];
  int n = snprintf(text, sizeof text, "%d", (int)pid);
  for (int k = 0; k < S.ncgroups; k++) {
    int fd = open(S.cgroups[k], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, (size_t)n) != n) {
      int e = errno;
      if (fd >= 0) close(fd);
      *failed = k;
      return e;
    }
    close(fd);
  }
  return 0;
}

/* --cgroup-no-wait: what the container forked before its own move stayed in the shim's cgroup.
 * The shim's descendants (it is the container's subreaper, so orphans are among them) are walked
 * through /proc/PID/task/TID/children and moved; again until a walk finds only processes moved
 * before (a process forked by one not yet moved shows up in the next walk). */
#define SWEEP_MAX 4096
static pid_t swept[SWEEP_MAX];
static int nswept;

static int was_swept(pid_t pid) {
  for (int i = 0; i < nswept; i++)
    if (swept[i] == pid) return 1;
  return 0;
}

/* Appends the children of every thread of PID to LIST (at *n), as long as it has room. */
static void children_of(pid_t pid, pid_t *list, int *n) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  if (!tasks) return;
  struct dirent *t;
  while ((t = readdir(tasks))) {
    if (!isdigit((unsigned char)t->d_name[0])) continue;
    char file[128], buf[4096];
    snprintf(file, sizeof file, "/proc/%d/task/%.20s/children", (int)pid, t->d_name);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0) continue;
    buf[len] = 0;
    for (char *p = buf, *end; *p; p = end) {
      long child = strtol(p, &end, 10);
      if (end == p) break;
      if (*n >= SWEEP_MAX) break;
      list[(*n)++] = (pid_t)child;
    }
  }
  closedir(tasks);
}

static void sweep_into_cgroup(pid_t moved) {
  static pid_t tree[SWEEP_MAX];
  swept[nswept++] = moved;
  for (int round = 0; round < 5; round++) {
    int n = 0;
    children_of(getpid(), tree, &n);
    for (int i = 0; i < n; i++) children_of(tree[i], tree, &n);
    int fresh = 0;
    for (int i = 0; i < n; i++) {
      if (was_swept(tree[i])) continue;
      fresh = 1;
      int k;
      move_into_cgroup(tree[i], &k);
      if (nswept < SWEEP_MAX) swept[nswept++] = tree[i];
    }
    if (!fresh) return;
  }
}

/* Like the end of a pid namespace: processes of the container that left its process group
 * (setsid, daemons) are still in its cgroup, and go too, so the cgroup can be removed. */
static void kill_cgroup(void) {
  if (S.ncgroups == 0) return;
  for (int round = 0; round < 50; round++) {
    FILE *f = fopen(S.cgroups[0], "re");
    if (!f) return;
    int found = 0;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) {
      found = 1;
      kill((pid_t)pid, SIGKILL);
    }
    fclose(f);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (!found) return;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* Everything between fork (or --enter) and exec, in the order a container runtime does it. */
/* Supervise mode: the child's end of the "in its cgroup now" pipe (see main); -1: join itself. */
static int joined_fd = -1;

static void container_setup(void) {
  for (int i = 0; joined_fd < 0 && i < S.ncgroups; i++) {
    S.failed_path = S.cgroups[i];
    int fd = open(S.cgroups[i], O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) child_fail(STAGE_CGROUP);
    close(fd);
  }
  mount_namespace();
  if (S.cwd && chdir(S.cwd) < 0) child_fail(STAGE_CHDIR);
  if (S.set_ids) {
    /* As root, always set the list (also to empty): otherwise a container given another user
     * would keep the agent's own supplementary groups (root's), which containerd never gives. */
    if ((S.ngroups > 0 || geteuid() == 0) && setgroups((size_t)S.ngroups, S.groups) < 0) child_fail(STAGE_GROUPS);
    if (S.gid >= 0 && setgid((gid_t)S.gid) < 0) child_fail(STAGE_GID);
  }
  drop_bounding();
  if (S.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(STAGE_NNP);
  /* Without no_new_privs the filter needs CAP_SYS_ADMIN, which only root still has here. The
   * filter allows every call left to do: setuid, capset, prctl, execve. */
  if (S.seccomp) seccomp_default();
  if (S.has_caps) prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
  if (S.set_ids && S.uid >= 0 && setuid((uid_t)S.uid) < 0) child_fail(STAGE_UID);
  set_caps();
}

/* ---- terminals: exec with a pseudo-terminal (--pty FD) ----
 * Node has no pty API, so an interactive exec runs through this: the shim opens a pty, forks, and
 * the child (session leader, the pty its controlling terminal) goes on to the --enter steps or
 * straight to exec; the parent relays its stdin to the master and the master to its stdout,
 * applies "COLS ROWS\n" lines read from FD as window sizes, and exits with the command's status
 * once the command exited and the master is drained. SIGTERM/SIGHUP kill the command's whole
 * session (an interactive shell puts its jobs in process groups of their own). */

#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig) {
  int saved = errno;
  stop_requested = sig;
  (void)!write(sigchld_pipe[1], "t", 1);
  errno = saved;
}

/* Field 3 (state) and 6 (session) of /proc/PID/stat; 0 when unreadable. */
static int proc_session(pid_t pid, char *state) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  int ppid, pgrp, session;
  if (!p || sscanf(p + 2, "%c %d %d %d", state, &ppid, &pgrp, &session) != 4) return 0;
  return session;
}

/* SIGKILL to every live process of session SID, until none is left (or it takes too long). */
static void kill_session(pid_t sid) {
  for (int round = 0; round < 50; round++) {
    DIR *d = opendir("/proc");
    if (!d) return;
    int found = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      pid_t p = (pid_t)strtol(e->d_name, NULL, 10);
      char state = 0;
      if (p <= 0 || proc_session(p, &state) != sid || state == 'Z' || state == 'X') continue;
      kill(p, SIGKILL);
      found = 1;
    }
    closedir(d);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (!found) return;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

/* "COLS ROWS" -> the terminal's window size (the kernel sends SIGWINCH to its foreground group). */
static void apply_winsize(int master, unsigned cols, unsigned rows) {
  if (cols == 0 || rows == 0 || cols > 0xffff || rows > 0xffff) return;
  struct winsize ws = {(unsigned short)rows, (unsigned short)cols, 0, 0};
  ioctl(master, TIOCSWINSZ, &ws);
}

/* Opens a pty master; *slave_name gets the slave's path. Exits (126) when the node has no ptys. */
static int open_pty_master(char **slave_name) {
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !(*slave_name = ptsname(master))) {
    char e[128];
    dprintf(2, "berth-shim: cannot open a pseudo-terminal (/dev/ptmx): %s\n", err_text(errno, e, sizeof e));
    exit(126);
  }
  *slave_name = strdup(*slave_name);
  return master;
}

/* In the forked child: a new session whose controlling terminal is the slave, as stdin/out/err. */
static void become_terminal_session(const char *slave_name, long owner_uid) {
  setsid();
  int slave = open(slave_name, O_RDWR | O_CLOEXEC);
  S.failed_path = slave_name;
  if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(STAGE_TTY);
  /* The container's user may reopen its terminal (tty, ssh-style tools), as in a container. */
  if (owner_uid >= 0) (void)!fchown(slave, (uid_t)owner_uid, (gid_t)-1);
  dup2(slave, 0);
  dup2(slave, 1);
  dup2(slave, 2);
  if (slave > 2) close(slave);
}

static int wait_status_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* write_all to stdout; -1 once the reader is gone. */
static int write_out(const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Returns in the child only; the parent relays and exits with the command's code. */
static void pty_exec(int resize_fd, const char *initial_size) {
  char *slave_name;
  int master = open_pty_master(&slave_name);
  unsigned cols, rows;
  /* The client's size before the command starts: its first `stty size` is already right. */
  if (initial_size && sscanf(initial_size, "%u %u", &cols, &rows) == 2) apply_winsize(master, cols, rows);
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) exit(126);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = on_stop;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  pid_t child = fork();
  if (child < 0) {
    dprintf(2, "berth-shim: fork: %s\n", strerror(errno));
    exit(126);
  }
  if (child == 0) {
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    close(master);
    close(resize_fd);
    close(sigchld_pipe[0]);
    close(sigchld_pipe[1]);
    become_terminal_session(slave_name, S.uid);
    return;
  }
  fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);

  char in[4096], out[16384], sizes[256];
  size_t in_len = 0, in_off = 0, sizes_len = 0;
  int stdin_open = 1, resize_open = resize_fd >= 0, exited = 0, status = 0;
  long long drain_until = 0;
  for (;;) {
    if (stop_requested) {
      kill_session(child);
      exit(128 + (int)stop_requested);
    }
    struct pollfd fds[4];
    int n = 0, i_sig = n++, i_master = n++, i_in = -1, i_resize = -1;
    fds[i_sig] = (struct pollfd){sigchld_pipe[0], POLLIN, 0};
    fds[i_master] = (struct pollfd){master, (short)(POLLIN | (in_len > in_off ? POLLOUT : 0)), 0};
    if (stdin_open && in_len == in_off && !exited) fds[i_in = n++] = (struct pollfd){0, POLLIN, 0};
    if (resize_open) fds[i_resize = n++] = (struct pollfd){resize_fd, POLLIN, 0};
    int timeout = -1;
    if (exited) {
      long long left = drain_until - now_ms();
      if (left <= 0) break;
      timeout = (int)left;
    }
    int r = poll(fds, (nfds_t)n, timeout);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    if (fds[i_sig].revents) {
      char drain[64];
      while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
      }
      int st;
      if (!exited && waitpid(child, &st, WNOHANG) == child) {
        exited = 1;
        status = st;
        drain_until = now_ms() + DRAIN_MS;
      }
    }
    if (fds[i_master].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(master, out, sizeof out);
      /* The agent is gone (its end of the pipe closed): nobody can see or stop the command any more. */
      if (got > 0 && write_out(out, (size_t)got) < 0) stop_requested = SIGHUP;
      /* EIO: every slave descriptor is closed, so nothing more can come. */
      else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (exited) break;
        if (!(fds[i_master].revents & POLLIN)) {
          struct timespec ts = {0, 5 * 1000 * 1000}; /* hung up before the exit is reaped */
          nanosleep(&ts, NULL);
        }
      }
    }
    if (in_len > in_off && (fds[i_master].revents & POLLOUT)) {
      ssize_t w = write(master, in + in_off, in_len - in_off);
      if (w > 0) in_off += (size_t)w;
      if (in_off == in_len) in_len = in_off = 0;
    }
    if (i_in >= 0 && fds[i_in].revents) {
      ssize_t got = read(0, in, sizeof in);
      if (got > 0) in_len = (size_t)got, in_off = 0;
      else if (got == 0 || errno != EINTR) stdin_open = 0; /* the client closed its stdin */
    }
    if (i_resize >= 0 && fds[i_resize].revents) {
      ssize_t got = read(resize_fd, sizes + sizes_len, sizeof sizes - 1 - sizes_len);
      if (got <= 0) {
        resize_open = 0;
      } else {
        sizes_len += (size_t)got;
        sizes[sizes_len] = 0;
        char *line = sizes, *nl;
        while ((nl = strchr(line, '\n'))) {
          unsigned cols, rows;
          if (sscanf(line, "%u %u", &cols, &rows) == 2) apply_winsize(master, cols, rows);
          line = nl + 1;
        }
        sizes_len = strlen(line);
        memmove(sizes, line, sizes_len);
        if (sizes_len == sizeof sizes - 1) sizes_len = 0; /* garbage without newlines */
      }
    }
  }
  if (!exited) {
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
  }
  exit(wait_status_code(status));
}

/* ---- attach (--stdin, --tty, --stdin-once; supervise mode) ----
 * The shim keeps the container's stdin (a pipe; with --tty the pty master, the container's
 * controlling terminal, whose output is logged as stdout) and serves attach clients on
 * DIR/attach.sock (mode 0600), so a restarted agent attaches to the same streams. Frames both
 * ways: 1 byte type, 4 bytes big-endian length, payload.
 *   client -> shim: ATTACH_STDIN data, ATTACH_RESIZE "COLS ROWS", ATTACH_STDIN_EOF, ATTACH_WANTS_STDIN
 *   shim -> client: ATTACH_STDOUT / ATTACH_STDERR data, the container's live output.
 * A client that cannot keep up (over ATTACH_OUT_MAX unsent) is disconnected: the container and
 * its log never wait for an attach client. With --stdin-once the container's stdin is closed
 * when the first client that used it goes (with a tty: its EOF character is sent). */

#define ATTACH_STDIN 0
#define ATTACH_RESIZE 1
#define ATTACH_STDIN_EOF 2
#define ATTACH_WANTS_STDIN 3
#define ATTACH_STDOUT 1
#define ATTACH_STDERR 2
#define MAX_ATTACH 16
#define ATTACH_FRAME_MAX 65536
#define ATTACH_OUT_MAX (4 << 20)

struct attach_client {
  int fd;
  int used_stdin;
  int blocked; /* stdin data of its first frame waits until the container's stdin takes it */
  size_t in_len, done; /* bytes in `in`; of the first frame's payload, bytes already written */
  char in[ATTACH_FRAME_MAX + 5];
  char *out;
  size_t out_len, out_cap;
};

static int attach_listen_fd = -1;
static struct attach_client *attach_clients[MAX_ATTACH];
static int container_stdin = -1; /* pipe write end, or the pty master */
static int container_tty = -1;   /* the pty master with --tty */
static int stdin_once;
static char attach_sock_path[64]; /* /proc/self/fd/N/attach.sock */

static void attach_listen(void) {
  int dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return;
  /* Through the folder's descriptor: the full path may be longer than sun_path allows. */
  snprintf(attach_sock_path, sizeof attach_sock_path, "/proc/self/fd/%d/attach.sock", dirfd);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", attach_sock_path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  unlink(attach_sock_path);
  mode_t old = umask(0177); /* a socket is made 0777 & ~umask: 0600 */
  if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(fd, MAX_ATTACH) == 0) {
    attach_listen_fd = fd;
  } else if (fd >= 0) {
    close(fd);
  }
  umask(old);
}

static void close_container_stdin(void) {
  if (container_stdin < 0) return;
  if (container_tty >= 0) {
    struct termios t;
    char eof = tcgetattr(container_tty, &t) == 0 ? (char)t.c_cc[VEOF] : 4;
    (void)!write(container_tty, &eof, 1);
  } else {
    close(container_stdin);
  }
  container_stdin = -1;
}

static void attach_drop(int k) {
  struct attach_client *c = attach_clients[k];
  if (!c) return;
  close(c->fd);
  free(c->out);
  if (stdin_once && c->used_stdin) close_container_stdin();
  free(c);
  attach_clients[k] = NULL;
}

static int attach_flush(struct attach_client *c) {
  while (c->out_len > 0) {
    ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) return errno == EAGAIN || errno == EINTR ? 1 : 0;
    memmove(c->out, c->out + w, c->out_len - (size_t)w);
    c->out_len -= (size_t)w;
  }
  return 1;
}

static int attach_queue(struct attach_client *c, const char *data, size_t n) {
  if (c->out_len + n > ATTACH_OUT_MAX) return 0;
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 65536;
    while (cap < c->out_len + n) cap *= 2;
    char *grown = realloc(c->out, cap);
    if (!grown) return 0;
    c->out = grown;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, data, n);
  c->out_len += n;
  return 1;
}

/* The container's output, as it is read, to every attached client. */
static void attach_broadcast(int type, const char *data, size_t n) {
  unsigned char head[5] = {(unsigned char)type, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                           (unsigned char)(n >> 8), (unsigned char)n};
  for (int k = 0; k < MAX_ATTACH; k++) {
    struct attach_client *c = attach_clients[k];
    if (!c) continue;
    if (!attach_queue(c, (const char *)head, sizeof head) || !attach_queue(c, data, n) || !attach_flush(c)) attach_drop(k);
  }
}

/* Handles the client's complete frames; returns 0 while stdin data waits for the container. */
static int attach_input(struct attach_client *c) {
  c->blocked = 0;
  while (c->in_len >= 5) {
    unsigned char *p = (unsigned char *)c->in;
    size_t len = ((size_t)p[1] << 24) | ((size_t)p[2] << 16) | ((size_t)p[3] << 8) | p[4];
    if (len > ATTACH_FRAME_MAX) return -1;
    if (c->in_len < 5 + len) break;
    char *payload = c->in + 5;
    if (p[0] == ATTACH_STDIN && container_stdin >= 0) {
      c->used_stdin = 1;
      while (c->done < len) {
        ssize_t w = write(container_stdin, payload + c->done, len - c->done);
        if (w < 0 && errno == EAGAIN) return c->blocked = 1, 0;
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break; /* the container closed its stdin: the data has nowhere to go */
        c->done += (size_t)w;
      }
    } else if (p[0] == ATTACH_RESIZE && container_tty >= 0) {
      char text[32] = "";
      unsigned cols, rows;
      memcpy(text, payload, len < sizeof text - 1 ? len : sizeof text - 1);
      if (sscanf(text, "%u %u", &cols, &rows) == 2) apply_winsize(container_tty, cols, rows);
    } else if (p[0] == ATTACH_STDIN_EOF || p[0] == ATTACH_WANTS_STDIN) {
      c->used_stdin = 1;
      if (p[0] == ATTACH_STDIN_EOF && stdin_once) close_container_stdin();
    }
    memmove(c->in, c->in + 5 + len, c->in_len - 5 - len);
    c->in_len -= 5 + len;
    c->done = 0;
  }
  return 1;
}

static int attach_poll_start = -1, attach_poll_count;
static struct attach_client *attach_polled[MAX_ATTACH]; /* who each client slot was polled for */

/* Adds the listening socket and the clients to the poll set; returns the new count. */
static int attach_poll_add(struct pollfd *fds, int n) {
  attach_poll_start = n;
  int waiting = 0;
  if (attach_listen_fd >= 0) fds[n++] = (struct pollfd){attach_listen_fd, POLLIN, 0};
  for (int k = 0; k < MAX_ATTACH; k++) {
    struct attach_client *c = attach_clients[k];
    attach_polled[k] = c;
    short ev = 0;
    if (c) {
      int blocked = c->blocked && container_stdin >= 0;
      waiting |= blocked;
      ev = (short)((blocked ? 0 : POLLIN) | (c->out_len ? POLLOUT : 0));
    }
    fds[n++] = (struct pollfd){c ? c->fd : -1, ev, 0};
  }
  if (waiting) fds[n++] = (struct pollfd){container_stdin, POLLOUT, 0};
  attach_poll_count = n - attach_poll_start;
  return n;
}

static void attach_poll_handle(struct pollfd *fds) {
  if (attach_poll_start < 0) return;
  struct pollfd *f = fds + attach_poll_start;
  int i = attach_listen_fd >= 0 ? 1 : 0;
  int stdin_ready = attach_poll_count > i + MAX_ATTACH && (f[i + MAX_ATTACH].revents & (POLLOUT | POLLERR));
  for (int k = 0; k < MAX_ATTACH; k++, i++) {
    struct attach_client *c = attach_clients[k];
    if (!c || c != attach_polled[k]) continue; /* dropped while the output was sent */
    if ((f[i].revents & POLLOUT) && !attach_flush(c)) {
      attach_drop(k);
      continue;
    }
    if ((f[i].revents & (POLLIN | POLLHUP | POLLERR)) && c->in_len < sizeof c->in) {
      ssize_t got = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        attach_drop(k);
        continue;
      }
      if (got > 0) c->in_len += (size_t)got;
    }
    if ((!c->blocked || stdin_ready || container_stdin < 0) && attach_input(c) < 0) attach_drop(k);
  }
  /* New clients last: a descriptor closed above may be reused by accept. */
  if (attach_listen_fd >= 0 && (f[0].revents & POLLIN)) {
    int fd = accept4(attach_listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    int k = 0;
    while (k < MAX_ATTACH && attach_clients[k]) k++;
    struct attach_client *c = fd >= 0 && k < MAX_ATTACH ? calloc(1, sizeof *c) : NULL;
    if (c) {
      c->fd = fd;
      attach_clients[k] = c;
    } else if (fd >= 0) {
      close(fd); /* too many clients */
    }
  }
}

static void attach_output(const char *stream, const char *data, size_t n) {
  attach_broadcast(strcmp(stream, "stderr") == 0 ? ATTACH_STDERR : ATTACH_STDOUT, data, n);
}

/* The pty master is gone (the terminal hung up): nothing can be written to the container any more. */
static void attach_stream_closed(int fd) {
  if (fd >= 0 && fd == container_tty) container_tty = container_stdin = -1;
}

static void attach_close_all(void) {
  for (int k = 0; k < MAX_ATTACH; k++) {
    struct attach_client *c = attach_clients[k];
    if (c) attach_flush(c); /* best effort: the last output, without waiting */
    if (c) {
      close(c->fd);
      free(c->out);
      free(c);
      attach_clients[k] = NULL;
    }
  }
  if (attach_listen_fd >= 0) {
    unlink(attach_sock_path);
    close(attach_listen_fd);
    attach_listen_fd = -1;
  }
}

static void usage(void) {
  dprintf(2, "usage: berth-shim --dir DIR --log FILE [--stdin] [--stdin-once] [--tty] [SETUP...] -- COMMAND [ARG...]\n"
             "       berth-shim [--pty RESIZE_FD [--pty-size \"COLS ROWS\"]] --enter PID [SETUP...] -- COMMAND [ARG...]\n"
             "       berth-shim --pty RESIZE_FD [--pty-size \"COLS ROWS\"] -- COMMAND [ARG...]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *log_path = NULL, *groups_arg = NULL, *oom_file = NULL, *enter_pid = NULL, *pty_resize_fd = NULL, *pty_size = NULL;
  int keep_stdin = 0, tty = 0;
  S.uid = S.gid = -1;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    const char *opt = argv[i];
    if (strcmp(opt, "--ro-root") == 0) { S.ro_root = 1; continue; }
    if (strcmp(opt, "--no-new-privs") == 0) { S.no_new_privs = 1; continue; }
    if (strcmp(opt, "--stdin") == 0) { keep_stdin = 1; continue; }
    if (strcmp(opt, "--stdin-once") == 0) { stdin_once = 1; continue; }
    if (strcmp(opt, "--tty") == 0) { tty = 1; continue; }
    if (strcmp(opt, "--cgroup-no-wait") == 0) { cgroup_no_wait = 1; continue; }
    if (i + 1 >= argc) usage();
    const char *val = argv[++i];
    if (strcmp(opt, "--dir") == 0) state_dir = val;
    else if (strcmp(opt, "--log") == 0) log_path = val;
    else if (strcmp(opt, "--enter") == 0) enter_pid = val;
    else if (strcmp(opt, "--pty") == 0) pty_resize_fd = val;
    else if (strcmp(opt, "--pty-size") == 0) pty_size = val;
    else if (strcmp(opt, "--cwd") == 0) S.cwd = val;
    else if (strcmp(opt, "--uid") == 0) S.uid = strtol(val, NULL, 10);
    else if (strcmp(opt, "--gid") == 0) S.gid = strtol(val, NULL, 10);
    else if (strcmp(opt, "--groups") == 0) groups_arg = val;
    else if (strcmp(opt, "--cgroup") == 0 && S.ncgroups < MAX_LIST) S.cgroups[S.ncgroups++] = val;
    else if (strcmp(opt, "--rw") == 0 && S.nrw < MAX_LIST) S.rw[S.nrw++] = val;
    else if (strcmp(opt, "--mask") == 0 && S.nmask < MAX_LIST) S.mask[S.nmask++] = val;
    else if (strcmp(opt, "--ro") == 0 && S.nro < MAX_LIST) S.ro[S.nro++] = val;
    else if (strcmp(opt, "--bind") == 0) S.bind_src = val;
    else if (strcmp(opt, "--to") == 0) S.bind_dst = val;
    else if (strcmp(opt, "--caps") == 0) { S.has_caps = 1; S.caps = strtoull(val, NULL, 16); }
    else if (strcmp(opt, "--seccomp") == 0 && strcmp(val, "default") == 0) S.seccomp = 1;
    else if (strcmp(opt, "--oom-file") == 0) oom_file = val;
    else if (strcmp(opt, "--log-max-size") == 0) log_max_size = strtoll(val, NULL, 10);
    else if (strcmp(opt, "--log-max-files") == 0) log_max_files = (int)strtol(val, NULL, 10);
    else usage();
  }
  if (i >= argc || (!enter_pid && !pty_resize_fd && (!state_dir || !log_path)) || (!S.bind_src != !S.bind_dst)) usage();
  command = argv + i;

  /* Supplementary groups: the primary gid plus the pod's supplementalGroups. */
  S.set_ids = S.uid >= 0 || S.gid >= 0 || groups_arg != NULL;
  if (S.set_ids) {
    if (S.gid < 0 && S.uid >= 0) {
      struct passwd *pw = getpwuid((uid_t)S.uid); /* like a container: the user's group, else 0 */
      S.gid = pw ? (long)pw->pw_gid : 0;
    }
    S.groups[S.ngroups++] = S.gid >= 0 ? (gid_t)S.gid : getgid();
    for (const char *p = groups_arg; p && *p && S.ngroups < MAX_GROUPS;) {
      char *end;
      long g = strtol(p, &end, 10);
      if (end == p) break;
      S.groups[S.ngroups++] = (gid_t)g;
      p = *end == ',' ? end + 1 : end;
    }
  }

  if (pty_resize_fd) {
    pty_exec((int)strtol(pty_resize_fd, NULL, 10), pty_size); /* returns in the command's process only */
    if (!enter_pid) {
      execvp(command[0], command);
      child_fail(STAGE_EXEC);
    }
  }

  if (enter_pid) {
    /* exec into a running container: its mount namespace, then the same setup as the container. */
    char ns[64];
    snprintf(ns, sizeof ns, "/proc/%s/ns/mnt", enter_pid);
    S.failed_path = ns;
    int fd = open(ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNS) < 0) child_fail(STAGE_ENTER);
    close(fd);
    S.ro_root = S.nmask = S.nro = 0; /* already in place in that namespace */
    S.bind_src = S.bind_dst = NULL;
    container_setup();
    execvp(command[0], command);
    child_fail(STAGE_EXEC);
  }

  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  /* Orphaned descendants of the container are re-parented to us and reaped here, since PID 1 may
   * not reap them on these machines. */
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  if (S.bind_src) create_message_file(S.bind_src);
  log_file = log_path;
  if (log_max_files < 2) log_max_files = 2;
  if (log_open() < 0) fail_setup(log_path, errno);

  int out[2], err[2], execp[2], joinp[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(execp, O_CLOEXEC) < 0 || pipe2(joinp, O_CLOEXEC) < 0 ||
      pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    fail_setup("pipe", errno);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  char *tty_name = NULL;
  int stdin_pipe[2] = {-1, -1};
  if (tty) {
    container_tty = open_pty_master(&tty_name);
    fcntl(container_tty, F_SETFL, fcntl(container_tty, F_GETFL) | O_NONBLOCK);
    if (keep_stdin) container_stdin = container_tty;
  } else if (keep_stdin) {
    if (pipe2(stdin_pipe, O_CLOEXEC) < 0) fail_setup("pipe", errno);
    container_stdin = stdin_pipe[1];
    fcntl(container_stdin, F_SETFL, fcntl(container_stdin, F_GETFL) | O_NONBLOCK);
  }
  attach_listen();

  pid_t pid = fork();
  if (pid < 0) fail_setup("fork", errno);
  if (pid == 0) {
    if (!tty) setpgid(0, 0); /* with a tty, become_terminal_session's setsid makes the group */
    /* Give the container default signal handling and an empty mask (ignored signals survive exec). */
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (stdin_pipe[0] >= 0) dup2(stdin_pipe[0], 0);
    setup_fail_fd = execp[1];
    if (tty) become_terminal_session(tty_name, S.uid);
    joined_fd = joinp[0];
    close(joinp[1]);
    container_setup();
    /* Not one instruction of the command before it is in its cgroup (unless told not to wait). */
    if (!cgroup_no_wait) {
      char go;
      ssize_t r;
      while ((r = read(joined_fd, &go, 1)) < 0 && errno == EINTR) {
      }
      if (r != 1) _exit(128); /* the shim could not move it and records why */
    }
    execvp(command[0], command);
    child_fail(STAGE_EXEC);
  }
  /* Also from here, so the group exists before anyone signals it (a tty child makes its own session). */
  if (!tty) setpgid(pid, pid);
  if (stdin_pipe[0] >= 0) close(stdin_pipe[0]);
  /* The shim moves the child into its cgroup while the child sets up its namespace and
   * credentials: the first cgroup move waits for an RCU grace period (milliseconds, the kernel's
   * cgroup migration lock), and this way that wait overlaps the child's own work instead of adding
   * to it. With --cgroup-no-wait the command does not wait for it at all. */
  close(joinp[0]);
  int failed_k = 0;
  int move_error = S.ncgroups > 0 ? move_into_cgroup(pid, &failed_k) : 0;
  /* Not waited for, the command may already have failed to start and exited: its own error says why. */
  if (cgroup_no_wait && move_error == ESRCH) move_error = 0;
  else if (cgroup_no_wait && move_error == 0 && S.ncgroups > 0) sweep_into_cgroup(pid);
  if (move_error != 0) {
    char msg[PATH_MAX + 256];
    S.failed_path = S.cgroups[failed_k];
    stage_message(msg, sizeof msg, STAGE_CGROUP, move_error);
    kill(pid, SIGKILL);
    close(joinp[1]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    write_exit(128, 0, msg, NULL, NULL);
    return 0;
  }
  write_all(joinp[1], "g", 1);
  close(joinp[1]);
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
    char msg[PATH_MAX + 256];
    stage_message(msg, sizeof msg, ce.stage, ce.err);
    int code = ce.stage != STAGE_EXEC ? 128 : ce.err == ENOENT ? 127 : 126;
    write_exit(code, 0, msg, NULL, NULL);
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
  if (tty) { /* the terminal is the container's stdout (and stderr): logged as stdout */
    close(out[0]);
    so.fd = container_tty;
  }
  se.fd = err[0];
  se.name = "stderr";
  int exited = 0, status = 0;
  char finished_at[64] = "";
  long long drain_until = 0;
  for (;;) {
    struct pollfd fds[3 + MAX_ATTACH + 2];
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
    int streams = nfds;
    nfds = attach_poll_add(fds, nfds);
    int timeout = -1;
    if (exited) {
      if (streams == 1) break;
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
    for (int k = 1; k < streams; k++) {
      if (fds[k].revents && !pump(owner[k])) {
        attach_stream_closed(owner[k]->fd);
        close_stream(owner[k]);
      }
    }
    attach_poll_handle(fds);
  }
  close_stream(&so);
  close_stream(&se);
  attach_close_all();
  if (log_dropped_lines) log_report_drops(); /* the final count, whatever the last report said */
  if (!exited) { /* only if poll itself failed: still report the real exit */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    now_rfc3339(finished_at, sizeof finished_at);
    kill(-pid, SIGKILL);
  }
  kill_cgroup();
  /* Reap what the group kill left behind (we are their subreaper), without waiting. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }

  /* The kernel counts the OOM kills of the cgroup: any kill in it is reported as the container's
   * reason, as containerd reports an OOM event of the container. */
  const char *reason = oom_file && oom_kill_count(oom_file) > 0 ? "OOMKilled" : NULL;
  if (WIFSIGNALED(status)) write_exit(128 + WTERMSIG(status), WTERMSIG(status), NULL, finished_at, reason);
  else write_exit(WEXITSTATUS(status), 0, NULL, finished_at, reason);
  return 0;
}
