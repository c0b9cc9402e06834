/*
 * process.c — replica processes, probes, ports and orphan cleanup for the
 * local driver (see process.h). The only file in src/cluster that calls
 * uv_spawn, kill, sockets or touches /proc; it makes no decisions.
 */
#include "cluster/process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SETPRIV "/usr/bin/setpriv"

/* ---- small things ------------------------------------------------------------ */

int cluster_mkdirs(const char *path, sw_err *err) {
  char *p = sw_xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
      int e = errno;
      free(p);
      return sw_err_set(err, SW_EIO, "creating directory %s: %s", path, strerror(e));
    }
    *s = '/';
  }
  int rc = 0;
  if (mkdir(p, 0755) != 0 && errno != EEXIST)
    rc = sw_err_set(err, SW_EIO, "creating directory %s: %s", path, strerror(errno));
  free(p);
  return rc;
}

void cluster_remove_file(const char *path) {
  if (path) unlink(path);
}

char *cluster_self_exe(void) {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return NULL;
  buf[n] = 0;
  return sw_xstrdup(buf);
}

int cluster_free_port(const int *avoid, size_t navoid, int *port, sw_err *err) {
  for (int attempt = 0; attempt < 64; attempt++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sw_err_set(err, SW_EIO, "socket: %s", strerror(errno));
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
      int e = errno;
      close(fd);
      return sw_err_set(err, SW_EIO, "finding a free port on 127.0.0.1: %s", strerror(e));
    }
    close(fd);
    int p = ntohs(a.sin_port);
    bool taken = false;
    for (size_t i = 0; i < navoid; i++) taken |= avoid[i] == p;
    if (!taken) {
      *port = p;
      return 0;
    }
  }
  return sw_err_set(err, SW_EIO,
                    "finding a free port on 127.0.0.1: every port offered was already handed out");
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks since boot): with
 * the pid, it names one process for good, so a reused pid is never killed. */
static int proc_starttime(int pid, unsigned long long *out, char *state) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  char *s = sw_read_file(path, NULL, NULL);
  if (!s) return -1;
  char *rp = strrchr(s, ')');
  int rc = -1;
  if (rp) {
    char st = 0;
    unsigned long long v = 0;
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime
     * cstime priority nice num_threads itrealvalue starttime(22) */
    if (sscanf(rp + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               &st, &v) == 2) {
      *out = v;
      if (state) *state = st;
      rc = 0;
    }
  }
  free(s);
  return rc;
}

/* ---- processes --------------------------------------------------------------- */

struct cluster_proc {
  uv_process_t h;
  cluster_proc_exit_fn fn;
  void *ud;
  int pid;
  bool exited, released;
  char *record_path;
};

bool cluster_proc_have_pdeathsig(void) { return access(SETPRIV, X_OK) == 0; }

void cluster_proc_ignore_sigpipe(void) {
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
}

static void proc_free(uv_handle_t *h) {
  cluster_proc *p = h->data;
  free(p->record_path);
  free(p);
}

static void proc_on_exit(uv_process_t *h, int64_t status, int sig) {
  cluster_proc *p = h->data;
  p->exited = true;
  /* A container stops as a whole when its main process exits: whatever the
   * group still holds (a shell's children) goes too, and cannot keep the
   * pod's port for the restart. */
  if (p->pid > 0) kill(-p->pid, SIGKILL);
  cluster_remove_file(p->record_path);
  if (p->released) {
    uv_close((uv_handle_t *)&p->h, proc_free);
    return;
  }
  if (p->fn) p->fn(p->ud, status, sig);
}

static void write_record(const cluster_proc *p, const char *note) {
  unsigned long long st = 0;
  if (proc_starttime(p->pid, &st, NULL) != 0) return;
  char stbuf[32];
  snprintf(stbuf, sizeof stbuf, "%llu", st);
  json_t *rec = json_pack("{s:i,s:s,s:s,s:f}", "pid", p->pid, "starttime", stbuf, "note", note ? note : "",
                          "written", sw_wall_now());
  char *tmp = sw_xasprintf("%s.tmp", p->record_path);
  if (rec && json_dump_file(rec, tmp, JSON_COMPACT) == 0)
    rename(tmp, p->record_path);
  else
    unlink(tmp);
  free(tmp);
  json_decref(rec);
}

int cluster_proc_spawn(uv_loop_t *loop, const cluster_proc_opts *o, cluster_proc_exit_fn fn, void *ud,
                       cluster_proc **out, sw_err *err) {
  *out = NULL;
  if (!o->argv || !o->argv[0]) return sw_err_set(err, SW_EINVAL, "no command to run");
  int fd = open(o->log_path ? o->log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return sw_err_set(err, SW_EIO, "opening log %s: %s", o->log_path, strerror(errno));
  size_t argc = 0;
  while (o->argv[argc]) argc++;
  const char **argv = sw_xcalloc(argc + 5, sizeof *argv);
  size_t k = 0;
  if (o->pdeathsig && cluster_proc_have_pdeathsig()) {
    /* PR_SET_PDEATHSIG cannot be set through uv_spawn; setpriv sets it and
     * execs the replica, which keeps it across exec. */
    argv[k++] = SETPRIV;
    argv[k++] = "--pdeathsig";
    argv[k++] = "KILL";
    argv[k++] = "--";
  }
  for (size_t i = 0; i < argc; i++) argv[k++] = o->argv[i];
  argv[k] = NULL;
  cluster_proc *p = sw_xcalloc(1, sizeof *p);
  p->fn = fn;
  p->ud = ud;
  p->h.data = p;
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = fd;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = fd;
  uv_process_options_t opt = {0};
  opt.exit_cb = proc_on_exit;
  opt.file = argv[0];
  opt.args = (char **)argv;
  opt.env = (char **)o->envp;
  opt.cwd = o->cwd;
  opt.flags = UV_PROCESS_DETACHED; /* setsid: its own process group, out of the terminal's reach */
  opt.stdio_count = 3;
  opt.stdio = stdio;
  int r = uv_spawn(loop, &p->h, &opt);
  close(fd);
  free(argv);
  if (r != 0) {
    uv_close((uv_handle_t *)&p->h, proc_free);
    if (r == UV_ENOENT)
      return sw_err_set(err, SW_EINVAL, "exec: \"%s\": executable file not found in $PATH", o->argv[0]);
    return sw_err_set(err, SW_EIO, "exec: \"%s\": %s", o->argv[0], uv_strerror(r));
  }
  p->pid = p->h.pid;
  if (o->record_path) {
    p->record_path = sw_xstrdup(o->record_path);
    write_record(p, o->record_note);
  }
  *out = p;
  return 0;
}

int cluster_proc_pid(const cluster_proc *p) { return p && !p->exited ? p->pid : 0; }

void cluster_proc_signal(cluster_proc *p, int sig) {
  if (p && !p->exited && p->pid > 0) kill(-p->pid, sig);
}

void cluster_proc_release(cluster_proc *p) {
  if (!p) return;
  p->fn = NULL;
  p->ud = NULL;
  p->released = true;
  if (p->exited) {
    uv_close((uv_handle_t *)&p->h, proc_free);
    return;
  }
  kill(-p->pid, SIGKILL); /* closed when the exit arrives */
}

/* ---- orphans ----------------------------------------------------------------- */

typedef struct orphan {
  int pgid;
  char *record;
} orphan;
typedef SW_VEC(orphan) orphan_vec;

static void scan_records(const char *dir, orphan_vec *found, int *killed) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!sw_has_suffix(e->d_name, ".pid")) continue;
    char *path = sw_xasprintf("%s/%s", dir, e->d_name);
    json_t *rec = json_load_file(path, 0, NULL);
    int pid = (int)json_integer_value(json_object_get(rec, "pid"));
    const char *st = json_string_value(json_object_get(rec, "starttime"));
    bool target = false;
    if (pid > 1 && st) {
      unsigned long long now_st;
      if (proc_starttime(pid, &now_st, NULL) == 0)
        target = strtoull(st, NULL, 10) == now_st;
      else
        target = kill(-pid, 0) == 0; /* leader gone, group members left */
    }
    if (target) {
      kill(-pid, SIGTERM);
      if (killed) (*killed)++;
      orphan o = {pid, path};
      sw_vec_push(found, o);
      SW_WARN("cluster", "stopping replica process group %d left by an earlier run (%s)", pid,
              json_string_value(json_object_get(rec, "note")));
    } else {
      unlink(path);
      free(path);
    }
    json_decref(rec);
  }
  closedir(d);
}

/* Zombies still answer kill(0); init reaps them quickly, and the wait is
 * bounded anyway. */
static bool group_alive(int pgid) { return kill(-pgid, 0) == 0; }

int cluster_proc_recover(const char *root, int grace_ms, int *killed, sw_err *err) {
  if (killed) *killed = 0;
  DIR *d = opendir(root);
  if (!d) return 0; /* nothing ever ran here */
  orphan_vec found = {0};
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *dir = sw_xasprintf("%s/%s/pids", root, e->d_name);
    scan_records(dir, &found, killed);
    free(dir);
  }
  closedir(d);
  /* Give them the grace to exit, then kill what is left. */
  double deadline = sw_mono_now() + grace_ms / 1000.0;
  for (;;) {
    bool any = false;
    for (size_t i = 0; i < found.len; i++) any |= group_alive(found.items[i].pgid);
    if (!any || sw_mono_now() >= deadline) break;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  for (size_t i = 0; i < found.len; i++) {
    kill(-found.items[i].pgid, SIGKILL);
    unlink(found.items[i].record);
    free(found.items[i].record);
  }
  sw_vec_free(&found);
  (void)err;
  return 0;
}

/* ---- probes ------------------------------------------------------------------ */

struct cluster_probe {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_connect_t conn;
  uv_write_t wr;
  cluster_probe_fn fn;
  void *ud;
  bool http, done;
  int open_handles;
  int port;
  char *request;
  char *path;
  http_parser parser;
  http_parser_settings settings;
  char rbuf[2048];
};

static void probe_closed(uv_handle_t *h) {
  cluster_probe *p = h->data;
  if (--p->open_handles > 0) return;
  free(p->request);
  free(p->path);
  free(p);
}

static void probe_finish(cluster_probe *p, bool ok, const char *detail) {
  if (p->done) return;
  p->done = true;
  cluster_probe_fn fn = p->fn;
  void *ud = p->ud;
  p->fn = NULL;
  uv_timer_stop(&p->timer);
  uv_close((uv_handle_t *)&p->tcp, probe_closed);
  uv_close((uv_handle_t *)&p->timer, probe_closed);
  if (fn) fn(ud, ok, detail);
}

static void probe_timeout(uv_timer_t *t) {
  cluster_probe *p = t->data;
  char b[256];
  if (p->http)
    snprintf(b, sizeof b,
             "Get \"http://127.0.0.1:%d%s\": context deadline exceeded (Client.Timeout exceeded while "
             "awaiting headers)",
             p->port, p->path ? p->path : "/");
  else
    snprintf(b, sizeof b, "dial tcp 127.0.0.1:%d: i/o timeout", p->port);
  probe_finish(p, false, b);
}

static int on_headers_complete(http_parser *hp) {
  cluster_probe *p = hp->data;
  int code = (int)hp->status_code;
  if (code >= 200 && code < 400)
    probe_finish(p, true, NULL);
  else {
    char b[96];
    snprintf(b, sizeof b, "HTTP probe failed with statuscode: %d", code);
    probe_finish(p, false, b);
  }
  return 1;
}

static void probe_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  cluster_probe *p = h->data;
  (void)hint;
  buf->base = p->rbuf;
  buf->len = sizeof p->rbuf;
}

static void probe_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  cluster_probe *p = s->data;
  if (p->done) return;
  char b[256];
  if (n < 0) {
    snprintf(b, sizeof b, "Get \"http://127.0.0.1:%d%s\": %s", p->port, p->path,
             n == UV_EOF ? "EOF" : uv_strerror((int)n));
    probe_finish(p, false, b);
    return;
  }
  size_t used = http_parser_execute(&p->parser, &p->settings, buf->base, (size_t)n);
  if (p->done) return;
  if (used != (size_t)n || HTTP_PARSER_ERRNO(&p->parser) != HPE_OK) {
    snprintf(b, sizeof b, "Get \"http://127.0.0.1:%d%s\": malformed HTTP response", p->port, p->path);
    probe_finish(p, false, b);
  }
}

static void probe_written(uv_write_t *w, int status) {
  cluster_probe *p = w->data;
  if (p->done) return;
  if (status < 0) {
    char b[256];
    snprintf(b, sizeof b, "Get \"http://127.0.0.1:%d%s\": %s", p->port, p->path, uv_strerror(status));
    probe_finish(p, false, b);
  }
}

static void probe_connected(uv_connect_t *c, int status) {
  cluster_probe *p = c->data;
  if (p->done) return;
  if (status < 0) {
    char b[256];
    const char *why = status == UV_ECONNREFUSED ? "connection refused" : uv_strerror(status);
    if (p->http)
      snprintf(b, sizeof b, "Get \"http://127.0.0.1:%d%s\": dial tcp 127.0.0.1:%d: connect: %s", p->port,
               p->path, p->port, why);
    else
      snprintf(b, sizeof b, "dial tcp 127.0.0.1:%d: connect: %s", p->port, why);
    probe_finish(p, false, b);
    return;
  }
  if (!p->http) {
    probe_finish(p, true, NULL);
    return;
  }
  uv_buf_t buf = uv_buf_init(p->request, (unsigned)strlen(p->request));
  p->wr.data = p;
  int r = uv_write(&p->wr, (uv_stream_t *)&p->tcp, &buf, 1, probe_written);
  if (r == 0) r = uv_read_start((uv_stream_t *)&p->tcp, probe_alloc, probe_read);
  if (r != 0) {
    char b[256];
    snprintf(b, sizeof b, "Get \"http://127.0.0.1:%d%s\": %s", p->port, p->path, uv_strerror(r));
    probe_finish(p, false, b);
  }
}

static bool header_given(const json_t *headers, const char *name) {
  size_t i;
  json_t *h;
  json_array_foreach(headers, i, h) {
    const char *n = json_string_value(json_object_get(h, "name"));
    if (n && strcasecmp(n, name) == 0) return true;
  }
  return false;
}

cluster_probe *cluster_probe_start(uv_loop_t *loop, const cluster_probe_req *r, cluster_probe_fn fn,
                                   void *ud) {
  cluster_probe *p = sw_xcalloc(1, sizeof *p);
  p->fn = fn;
  p->ud = ud;
  p->http = r->http;
  p->port = r->port;
  p->path = sw_xstrdup(r->path ? r->path : "/");
  uv_tcp_init(loop, &p->tcp);
  uv_timer_init(loop, &p->timer);
  p->open_handles = 2;
  p->tcp.data = p;
  p->timer.data = p;
  p->conn.data = p;
  if (p->http) {
    /* the kubelet's request: GET with Host, User-Agent kube-probe, Accept */
    sw_buf b;
    sw_buf_init(&b);
    sw_buf_printf(&b, "GET %s HTTP/1.1\r\n", p->path);
    if (!header_given(r->headers, "Host")) sw_buf_printf(&b, "Host: 127.0.0.1:%d\r\n", p->port);
    if (!header_given(r->headers, "User-Agent")) sw_buf_puts(&b, "User-Agent: kube-probe/1.30\r\n");
    if (!header_given(r->headers, "Accept")) sw_buf_puts(&b, "Accept: */*\r\n");
    size_t i;
    json_t *h;
    json_array_foreach(r->headers, i, h)
        sw_buf_printf(&b, "%s: %s\r\n", json_string_value(json_object_get(h, "name")),
                      json_string_value(json_object_get(h, "value")));
    sw_buf_puts(&b, "Connection: close\r\n\r\n");
    p->request = sw_buf_steal(&b);
    http_parser_init(&p->parser, HTTP_RESPONSE);
    p->parser.data = p;
    http_parser_settings_init(&p->settings);
    p->settings.on_headers_complete = on_headers_complete;
  }
  uv_timer_start(&p->timer, probe_timeout, r->timeout_ms ? r->timeout_ms : 1000, 0);
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", r->port, &a);
  int rc = uv_tcp_connect(&p->conn, &p->tcp, (const struct sockaddr *)&a, probe_connected);
  if (rc != 0) {
    /* report on the next turn, never from inside start */
    uv_timer_start(&p->timer, probe_timeout, 0, 0);
  }
  return p;
}

void cluster_probe_cancel(cluster_probe *p) {
  if (!p) return;
  p->fn = NULL;
  probe_finish(p, false, NULL);
}
