/*
 * berth-spawner: starts the process runtime's shims for the agent, so that the agent never forks.
 *
 * Node's spawn() forks the agent itself (a large process: copying its page tables takes ms) and
 * blocks until the child has exec'd. Done on a worker thread that cost a whole second Node.js
 * environment, about 10 MB of the agent's memory for good. This process is a few hundred KB, forks
 * in microseconds and tells the agent what happens to each shim.
 *
 *   berth-spawner            (no arguments; started by src/runtime/process/spawner.ts)
 *
 * Requests, on stdin: a 4-byte little-endian length, then that many bytes of NUL-terminated strings:
 *   "spawn" ID FILE ARGC ARG... ENVC ENV...   start FILE detached (its own session), stdin and
 *                                             stderr /dev/null, stdout a pipe read here (the
 *                                             shim's handshake line)
 *   "release" ID                              stop reporting on this one (it keeps running)
 * Replies, on stdout, one line each (ID as in the request):
 *   spawned ID PID          forked and exec'd
 *   started ID LINE         the child's first stdout line (the shim's "PID STARTTIME")
 *   error ID MESSAGE        it could not be started ("spawn FILE ENOENT", as Node words it)
 *   exit ID CODE            it exited with CODE, or "-" when a signal ended it
 *   close ID                its exit and the end of its stdout have both been seen: nothing more
 *                           comes for ID
 * When stdin ends (the agent stopped or died), this process exits at once; the shims it started
 * keep running (they are in sessions of their own and are reparented as usual).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQUEST (64u * 1024u * 1024u)
#define LINE_MAX_BYTES 256

struct child {
  long id;
  pid_t pid;
  int out_fd; /* the child's stdout, until its end; -1 after */
  int exited;
  int released;
  int handshake_sent;
  size_t line_len;
  char line[LINE_MAX_BYTES];
};

static struct child *children;
static size_t n_children, cap_children;
static int sigchld_pipe[2];

/* Requests read so far (stdin is non-blocking: a request may come in pieces). */
static unsigned char *in_buf;
static size_t in_len, in_cap;

static void die(const char *what) {
  fprintf(stderr, "berth-spawner: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void reply(const char *fmt, ...) {
  char buf[LINE_MAX_BYTES + 128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n > sizeof buf - 2) n = sizeof buf - 2;
  for (int i = 0; i < n; i++)
    if (buf[i] == '\n') buf[i] = ' ';
  buf[n++] = '\n';
  /* stdout is blocking: the agent reads it all the time, and a reply must never be lost. */
  size_t off = 0;
  while (off < (size_t)n) {
    ssize_t w = write(1, buf + off, (size_t)n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the agent is gone */
    }
    off += (size_t)w;
  }
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(sigchld_pipe[1], "x", 1);
  (void)ignored;
  errno = saved;
}

static struct child *find_pid(pid_t pid) {
  for (size_t i = 0; i < n_children; i++)
    if (children[i].pid == pid) return &children[i];
  return NULL;
}

static void forget(struct child *c) {
  if (c->out_fd >= 0) close(c->out_fd);
  *c = children[--n_children];
}

/* Both the exit and the end of stdout seen: the last word about this child. */
static void maybe_close(struct child *c) {
  if (!c->exited || c->out_fd >= 0) return;
  if (!c->released) reply("close %ld", c->id);
  forget(c);
}

static const char *errno_name(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(e);
  if (name) return name;
#endif
  return strerror(e);
}

static void spawn_child(long id, const char *file, char **argv, char **envp) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
    reply("error %ld spawn %s %s", id, file, errno_name(errno));
    reply("close %ld", id);
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(out[0]), close(out[1]), close(err[0]), close(err[1]);
    reply("error %ld spawn %s %s", id, file, errno_name(e));
    reply("close %ld", id);
    return;
  }
  if (pid == 0) {
    /* Every descriptor of this process is close-on-exec; the child gets exactly 0, 1 and 2. */
    sigset_t none;
    sigemptyset(&none);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(null, 2) < 0) {
      int e = errno;
      ssize_t ignored = write(err[1], &e, sizeof e);
      (void)ignored;
      _exit(127);
    }
    execve(file, argv, envp);
    int e = errno;
    ssize_t ignored = write(err[1], &e, sizeof e);
    (void)ignored;
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  /* The error pipe closes at exec (close-on-exec) or carries the errno of a failed one. */
  int e = 0;
  ssize_t r;
  do r = read(err[0], &e, sizeof e);
  while (r < 0 && errno == EINTR);
  close(err[0]);
  if (r == (ssize_t)sizeof e) {
    close(out[0]);
    /* The failed child is reaped by the SIGCHLD handler's loop; nothing is reported for it. */
    if (n_children == cap_children) {
      cap_children = cap_children ? cap_children * 2 : 64;
      children = realloc(children, cap_children * sizeof *children);
      if (!children) die("out of memory");
    }
    children[n_children++] = (struct child){.id = id, .pid = pid, .out_fd = -1, .released = 1};
    reply("error %ld spawn %s %s", id, file, errno_name(e));
    reply("close %ld", id);
    return;
  }
  if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0) die("fcntl");
  if (n_children == cap_children) {
    cap_children = cap_children ? cap_children * 2 : 64;
    children = realloc(children, cap_children * sizeof *children);
    if (!children) die("out of memory");
  }
  children[n_children++] = (struct child){.id = id, .pid = pid, .out_fd = out[0]};
  reply("spawned %ld %d", id, (int)pid);
}

/* One request's strings, or NULL; `*next` moves past it. */
static char *take(char **next, char *end) {
  char *s = *next;
  if (s >= end) return NULL;
  char *nul = memchr(s, '\0', (size_t)(end - s));
  if (!nul) return NULL;
  *next = nul + 1;
  return s;
}

static void handle_request(char *p, char *end) {
  char *kind = take(&p, end), *id_s = take(&p, end);
  if (!kind || !id_s) return;
  long id = strtol(id_s, NULL, 10);
  if (strcmp(kind, "release") == 0) {
    for (size_t i = 0; i < n_children; i++) {
      struct child *c = &children[i];
      if (c->id != id || c->released) continue;
      c->released = 1;
      if (c->out_fd >= 0) close(c->out_fd), c->out_fd = -1;
      if (c->exited) forget(c);
      break;
    }
    return;
  }
  if (strcmp(kind, "spawn") != 0) return;
  char *file = take(&p, end), *argc_s = take(&p, end);
  long argc = argc_s ? strtol(argc_s, NULL, 10) : -1;
  if (argc < 0 || argc > (long)(end - p)) {
    reply("error %ld the spawn request for %s was malformed (a bug in berth: please report it)", id, file ? file : "?");
    reply("close %ld", id);
    return;
  }
  char **argv = calloc((size_t)argc + 2, sizeof *argv);
  if (!argv) die("out of memory");
  argv[0] = file;
  char **envp = NULL;
  int whole = 1;
  for (long i = 0; i < argc && whole; i++) whole = (argv[i + 1] = take(&p, end)) != NULL;
  char *envc_s = whole ? take(&p, end) : NULL;
  long envc = envc_s ? strtol(envc_s, NULL, 10) : -1;
  if (envc >= 0 && envc <= (long)(end - p) + 1) {
    envp = calloc((size_t)envc + 1, sizeof *envp);
    if (!envp) die("out of memory");
    for (long i = 0; i < envc && whole; i++) whole = (envp[i] = take(&p, end)) != NULL;
    /* A malformed request is a bug in the agent: say so instead of starting something else. */
    if (whole) spawn_child(id, file, argv, envp);
  }
  if (!envp || !whole) {
    reply("error %ld the spawn request for %s was malformed (a bug in berth: please report it)", id, file);
    reply("close %ld", id);
  }
  free(argv);
  free(envp);
}

/* Reads what stdin has; handles each whole request. Returns 0 at its end. */
static int read_requests(void) {
  for (;;) {
    if (in_cap - in_len < 65536) {
      in_cap = in_cap ? in_cap * 2 : 131072;
      in_buf = realloc(in_buf, in_cap);
      if (!in_buf) die("out of memory");
    }
    ssize_t r = read(0, in_buf + in_len, in_cap - in_len);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return 0;
    }
    in_len += (size_t)r;
  }
  size_t off = 0;
  while (in_len - off >= 4) {
    const unsigned char *h = in_buf + off;
    uint32_t len = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (len > MAX_REQUEST) {
      fprintf(stderr, "berth-spawner: a request of %u bytes is larger than %u: the agent and this spawner do not match\n", len, MAX_REQUEST);
      exit(1);
    }
    if (in_len - off - 4 < len) break;
    handle_request((char *)in_buf + off + 4, (char *)in_buf + off + 4 + len);
    off += 4 + len;
  }
  memmove(in_buf, in_buf + off, in_len - off);
  in_len -= off;
  /* Keep the buffer small once a burst of requests is over. */
  if (in_len == 0 && in_cap > (1u << 20)) {
    free(in_buf);
    in_buf = NULL;
    in_cap = 0;
  }
  return 1;
}

static void read_child_output(struct child *c) {
  char buf[512];
  for (;;) {
    ssize_t r = read(c->out_fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0) {
      close(c->out_fd);
      c->out_fd = -1;
      maybe_close(c);
      return;
    }
    for (ssize_t i = 0; i < r && !c->handshake_sent; i++) {
      if (buf[i] == '\n') {
        c->line[c->line_len] = '\0';
        reply("started %ld %s", c->id, c->line);
        c->handshake_sent = 1;
      } else if (c->line_len < LINE_MAX_BYTES - 1) {
        c->line[c->line_len++] = buf[i];
      }
    }
  }
}

static void reap(void) {
  char drain[64];
  while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
  }
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    struct child *c = find_pid(pid);
    if (!c) continue;
    c->exited = 1;
    if (!c->released) {
      if (WIFEXITED(status)) reply("exit %ld %d", c->id, WEXITSTATUS(status));
      else reply("exit %ld -", c->id);
    }
    maybe_close(c);
  }
}

static void close_inherited(void) {
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) {
    for (int fd = 3; fd < 1024; fd++) close(fd);
    return;
  }
  int open_fds[1024], n = 0, own = dirfd(dir);
  struct dirent *e;
  while ((e = readdir(dir)) && n < 1024) {
    int fd = atoi(e->d_name);
    if (fd > 2 && fd != own) open_fds[n++] = fd;
  }
  closedir(dir);
  for (int i = 0; i < n; i++) close(open_fds[i]);
}

int main(void) {
  /* 0, 1 and 2 come from the agent; nothing of ours may leak into a shim (all of it is
     close-on-exec), nor anything the agent itself inherited and left open (a descriptor of
     whatever started it): closed first thing. */
  close_inherited();
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) < 0) die("sigaction");
  signal(SIGPIPE, SIG_IGN);
  for (int fd = 0; fd <= 2; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK) < 0) die("fcntl stdin");

  struct pollfd *fds = NULL;
  size_t cap_fds = 0;
  for (;;) {
    if (cap_fds < n_children + 2) {
      cap_fds = (n_children + 2) * 2;
      fds = realloc(fds, cap_fds * sizeof *fds);
      if (!fds) die("out of memory");
    }
    size_t n = 0;
    fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = sigchld_pipe[0], .events = POLLIN};
    for (size_t i = 0; i < n_children; i++)
      if (children[i].out_fd >= 0) fds[n++] = (struct pollfd){.fd = children[i].out_fd, .events = POLLIN};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[1].revents) reap();
    /* Children's output before new requests: a child forgotten meanwhile would shift the table. */
    for (size_t k = 2; k < n; k++) {
      if (!fds[k].revents) continue;
      for (size_t i = 0; i < n_children; i++) {
        if (children[i].out_fd == fds[k].fd) {
          read_child_output(&children[i]);
          break;
        }
      }
    }
    if (fds[0].revents && !read_requests()) return 0;
  }
}
