/*
 * cmd_up.c — `spillway up`: the control plane in one process. Opens the
 * store, starts the plane (loop + clock + controllers) and the API server,
 * and runs until SIGINT/SIGTERM.
 *
 * Role in the data flow: the composition root. It owns the process-wide
 * objects (loop, store, plane, API server) and their order of start and
 * stop; the parts it starts own everything else. The places where the member
 * clusters, the controllers, the metrics pipeline and the gateway attach are
 * marked "ATTACH:" in up_run.
 *
 * Files in the state directory (--state-dir, SPILLWAY_STATE_DIR,
 * $XDG_STATE_HOME/spillway or ~/.local/state/spillway; created 0700):
 *   spillway.db  the store (SQLite, WAL)       token   bearer token (0600)
 *   server       the API server's URL           lock    one `up` per directory
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apiserver/apiserver.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "plane/plane.h"
#include "store/store.h"

#define UP_LOG "up"

typedef struct up_options {
  char *state_dir; /* resolved, owned */
  char host[256];  /* API server listen address */
  int port;
  double time_scale;
  const char *db_path; /* NULL = <state_dir>/spillway.db */
} up_options;

static void usage(void) {
  fprintf(stderr, "usage: spillway up [--state-dir DIR] [--listen HOST:PORT] [--time-scale X] [--db PATH]\n"
                  "                   [--log-level debug|info|warn|error]\n"
                  "  --listen      API server address (default 127.0.0.1:6443; port 0 picks a free one)\n"
                  "  --time-scale  run the control plane's clock X times faster than wall time (tests)\n"
                  "  --db          the store's SQLite file (default STATE_DIR/spillway.db)\n");
}

/* mkdir -p with mode 0700 for the directories it creates. */
static int mkdir_p(const char *dir, sw_err *err) {
  char *p = sw_xstrdup(dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    if (mkdir(p, 0700) != 0 && errno != EEXIST) {
      sw_err_set(err, SW_EIO, "creating %s: %s", p, strerror(errno));
      free(p);
      return SW_EIO;
    }
    *s = '/';
  }
  int rc = 0;
  if (mkdir(p, 0700) != 0 && errno != EEXIST)
    rc = sw_err_set(err, SW_EIO, "creating %s: %s", p, strerror(errno));
  free(p);
  return rc;
}

/* Reads the token, or creates one (32 random bytes as hex, mode 0600). */
static char *load_or_create_token(const char *dir, sw_err *err) {
  char *path = sw_xasprintf("%s/token", dir);
  char *tok = sw_read_file(path, NULL, NULL);
  if (tok) {
    tok[strcspn(tok, "\r\n")] = 0;
    if (*tok) {
      chmod(path, 0600); /* whoever loosened it: the token is a password */
      free(path);
      return tok;
    }
    free(tok);
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    sw_err_set(err, SW_EIO, "cannot generate a token: no randomness available");
    free(path);
    return NULL;
  }
  char hex[65];
  for (size_t i = 0; i < sizeof raw; i++) snprintf(hex + 2 * i, 3, "%02x", raw[i]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1) {
    sw_err_set(err, SW_EIO, "writing %s: %s", path, strerror(errno));
    if (fd >= 0) close(fd);
    free(path);
    return NULL;
  }
  fchmod(fd, 0600);
  close(fd);
  free(path);
  return sw_xstrdup(hex);
}

/* Writes a small file atomically (temp + rename), so a client never reads half. */
static int write_file_atomic(const char *dir, const char *name, const char *text, sw_err *err) {
  char *tmp = sw_xasprintf("%s/.%s.tmp", dir, name), *path = sw_xasprintf("%s/%s", dir, name);
  int rc = 0;
  FILE *f = fopen(tmp, "w");
  if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0)
    rc = sw_err_set(err, SW_EIO, "writing %s: %s", path, strerror(errno));
  free(tmp);
  free(path);
  return rc;
}

/* ---- the running control plane ---- */

typedef struct up_state {
  uv_loop_t loop;
  store_t *store;
  plane plane;
  apiserver *api;
  uv_signal_t sigint, sigterm;
  bool stopping;
} up_state;

static void on_signal(uv_signal_t *h, int signum) {
  up_state *u = h->data;
  if (u->stopping) return;
  u->stopping = true;
  SW_INFO(UP_LOG, "%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
  /* ATTACH: stop the gateway (it drains in-flight requests) and the member
   * clusters (they stop or detach their replicas) here, before the API server. */
  apiserver_stop(u->api);
  u->api = NULL;
  plane_fini(&u->plane);
  uv_close((uv_handle_t *)&u->sigint, NULL);
  uv_close((uv_handle_t *)&u->sigterm, NULL);
  /* the loop ends by itself once every handle is closed */
}

static int up_run(const up_options *o) {
  sw_err err;
  sw_err_clear(&err);
  if (mkdir_p(o->state_dir, &err)) {
    client_error("up: %s", err.msg);
    return 1;
  }
  /* one `up` per state directory: a second would run every controller twice */
  char *lockpath = sw_xasprintf("%s/lock", o->state_dir);
  int lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
    client_error("up: another `spillway up` is running with the state directory %s (%s is locked)",
                 o->state_dir, lockpath);
    free(lockpath);
    if (lockfd >= 0) close(lockfd);
    return 1;
  }
  free(lockpath);
  char *token = load_or_create_token(o->state_dir, &err);
  if (!token) {
    client_error("up: %s", err.msg);
    close(lockfd);
    return 1;
  }
  char *db = o->db_path ? sw_xstrdup(o->db_path) : sw_xasprintf("%s/spillway.db", o->state_dir);
  up_state u;
  memset(&u, 0, sizeof u);
  int rc = 1;
  if (store_open(&u.store, db, &err)) {
    client_error("up: %s", err.msg);
    goto out_token;
  }
  uv_loop_init(&u.loop);
  plane_init(&u.plane, &u.loop, u.store, o->time_scale);
  u.plane.state_dir = o->state_dir;

  /* ATTACH: member clusters (src/cluster) — create the fleet from the Cluster
   * objects in the store and set u.plane.fleet; drivers start their replicas
   * on u.loop. */
  /* ATTACH: metrics pipeline (src/metrics) — set u.plane.metrics; its custom
   * metrics API plugs into the API server below with apiserver_add_route(u.api,
   * "/apis/custom.metrics.k8s.io/", handler, hub). */
  /* ATTACH: controllers — fleet scheduler (src/schedule), autoscalers
   * (src/autoscale), provisioner: plane_add_controller(&u.plane, name, period, fn, self). */

  if (apiserver_start(&u.plane, o->host, o->port, token, &u.api, &err)) {
    client_error("up: %s", err.msg);
    goto out_plane;
  }
  /* ATTACH: apiserver_add_route(u.api, ...) for the parts' extra APIs. */
  /* ATTACH: the gateway (src/gateway) — set u.plane.gateway and start its
   * listener on u.loop. */

  char url[300];
  bool v6 = strchr(o->host, ':') != NULL;
  snprintf(url, sizeof url, "http://%s%s%s:%d\n", v6 ? "[" : "", o->host, v6 ? "]" : "",
           apiserver_port(u.api));
  if (write_file_atomic(o->state_dir, "server", url, &err)) {
    client_error("up: %s", err.msg);
    apiserver_stop(u.api);
    goto out_plane;
  }
  url[strcspn(url, "\n")] = 0;
  signal(SIGPIPE, SIG_IGN);
  uv_signal_init(&u.loop, &u.sigint);
  uv_signal_init(&u.loop, &u.sigterm);
  u.sigint.data = u.sigterm.data = &u;
  uv_signal_start(&u.sigint, on_signal, SIGINT);
  uv_signal_start(&u.sigterm, on_signal, SIGTERM);
  SW_INFO(UP_LOG, "control plane at %s (state in %s, store %s, revision %llu, time scale %g)", url,
          o->state_dir, db, (unsigned long long)store_revision(u.store), o->time_scale);
  uv_run(&u.loop, UV_RUN_DEFAULT);
  SW_INFO(UP_LOG, "stopped");
  rc = 0;
  goto out_store;
out_plane:
  plane_fini(&u.plane);
  uv_run(&u.loop, UV_RUN_DEFAULT); /* lets the closed handles finish */
out_store:
  uv_loop_close(&u.loop);
  store_close(u.store);
out_token:
  free(db);
  free(token);
  close(lockfd);
  return rc;
}

/* HOST:PORT, [V6]:PORT, :PORT or PORT. */
static int parse_listen(const char *s, char *host, size_t hostlen, int *port) {
  const char *colon = strrchr(s, ':');
  const char *ps = colon ? colon + 1 : s;
  char *end;
  long p = strtol(ps, &end, 10);
  if (!*ps || *end || p < 0 || p > 65535) return -1;
  *port = (int)p;
  if (!colon || colon == s)
    snprintf(host, hostlen, "127.0.0.1");
  else if (s[0] == '[' && colon[-1] == ']')
    snprintf(host, hostlen, "%.*s", (int)(colon - s - 2), s + 1);
  else
    snprintf(host, hostlen, "%.*s", (int)(colon - s), s);
  return *host ? 0 : -1;
}

int cmd_up(int argc, char **argv) {
  up_options o;
  memset(&o, 0, sizeof o);
  snprintf(o.host, sizeof o.host, "127.0.0.1");
  o.port = 6443;
  o.time_scale = 1;
  const char *state_flag = NULL, *listen = NULL, *scale = NULL, *level = NULL;
  for (int i = 1; i < argc;) {
    int r;
    if ((r = client_flag_value(argc, argv, &i, NULL, "--state-dir", &state_flag)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--listen", &listen)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--time-scale", &scale)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--db", &o.db_path)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--log-level", &level))) {
      if (r < 0) return 2;
      continue;
    }
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      usage();
      return 0;
    }
    client_error("up: unexpected argument \"%s\"", argv[i]);
    usage();
    return 2;
  }
  if (listen && parse_listen(listen, o.host, sizeof o.host, &o.port)) {
    client_error("up: --listen %s: expected HOST:PORT (e.g. 127.0.0.1:6443)", listen);
    return 2;
  }
  if (scale) {
    char *end;
    o.time_scale = strtod(scale, &end);
    if (!*scale || *end || !(o.time_scale > 0) || o.time_scale > 1e6) {
      client_error("up: --time-scale %s: expected a number > 0", scale);
      return 2;
    }
  }
  if (level) {
    int l = sw_log_parse_level(level);
    if (l < 0) {
      client_error("up: --log-level %s: expected debug, info, warn or error", level);
      return 2;
    }
    sw_log_set_level((sw_log_level)l);
  }
  o.state_dir = client_state_dir(state_flag);
  int rc = up_run(&o);
  free(o.state_dir);
  return rc;
}
