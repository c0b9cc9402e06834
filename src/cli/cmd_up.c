/*
 * cmd_up.c — `spillway up`: the whole platform in one process. Opens the
 * store, starts the plane (loop + clock), the member clusters, the metrics
 * hub, the fleet scheduler, the autoscalers, the API server and the gateway,
 * applies the embedded example fleet on first start (or the user's --config),
 * and runs until SIGINT/SIGTERM, when it stops everything it started: the
 * gateway drains, every replica is stopped, no process is left behind.
 *
 * Role in the data flow: the composition root. It owns the process-wide
 * objects and their order of start and stop; the parts it starts own
 * everything else.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "apiserver/apiserver.h"
#include "autoscale/autoscale.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cluster/fleet.h"
#include "gateway/gateway.h"
#include "metrics/hub.h"
#include "plane/plane.h"
#include "schedule/controller.h"
#include "store/store.h"
#include "up/embedded.h"
#include "up/endpoints.h"
#include "up/metrics_source.h"
#include "up/summary.h"

#define UP_LOG "up"

#define UP_MAX_LIST 32

typedef struct up_options {
  char *state_dir; /* resolved, owned */
  char host[256];  /* API server listen address */
  int port;
  double time_scale;
  const char *db_path; /* NULL = <state_dir>/spillway.db */
  const char *configs[UP_MAX_LIST]; /* --config FILE|DIR, applied at start */
  size_t n_configs;
  const char *example;              /* embedded example set when no --config: seed1, seed2, none */
  const char *set_names[UP_MAX_LIST], *set_values[UP_MAX_LIST];
  size_t n_sets;
  char gw_host[256]; /* gateway; gw_port < 0: no gateway */
  int gw_port;
  int gw_metrics_port;
  int gw_workers;
  const char *gw_policy;
  const char *rules_file;     /* prometheus-adapter rules */
  const char *prometheus_url; /* metrics from a Prometheus server instead of spillway's own scrapes */
  double scrape_interval;
  double autoscale_period;
  int summary; /* 1 live screen, 0 plain logs, -1 decide by isatty */
  unsigned controllers; /* UP_C_* bits */
} up_options;

/* The parts --controllers can turn off, as kube-controller-manager's
 * --controllers flag does ("*" all, "-name" all but name, "none"). */
enum { UP_C_CLUSTERS = 1, UP_C_METRICS = 2, UP_C_SCHEDULER = 4, UP_C_AUTOSCALER = 8, UP_C_ALL = 15 };
static const struct {
  const char *name;
  unsigned bit;
} up_controller_names[] = {{"clusters", UP_C_CLUSTERS},
                           {"metrics", UP_C_METRICS},
                           {"scheduler", UP_C_SCHEDULER},
                           {"autoscaler", UP_C_AUTOSCALER}};

static int parse_controllers(const char *list, unsigned *out) {
  if (!strcmp(list, "none")) {
    *out = 0;
    return 0;
  }
  unsigned bits = 0;
  char *copy = sw_xstrdup(list), *save = NULL;
  int rc = 0;
  for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
    bool neg = *t == '-';
    const char *name = neg ? t + 1 : t;
    unsigned bit = 0;
    if (!strcmp(name, "*")) bit = UP_C_ALL;
    for (size_t i = 0; i < sizeof up_controller_names / sizeof up_controller_names[0]; i++)
      if (!strcmp(name, up_controller_names[i].name)) bit = up_controller_names[i].bit;
    if (!bit) rc = -1;
    else if (neg) bits &= ~bit;
    else bits |= bit;
  }
  free(copy);
  *out = bits;
  return rc;
}

static void usage(void) {
  fprintf(stderr,
          "usage: spillway up [--config FILE|DIR]... [--example seed1|seed2|none] [--set NAME=VALUE]...\n"
          "                   [--state-dir DIR] [--listen HOST:PORT] [--gateway HOST:PORT|off]\n"
          "                   [--gateway-metrics PORT] [--gateway-workers N] [--gateway-policy NAME]\n"
          "                   [--rules FILE] [--prometheus URL] [--scrape-interval S]\n"
          "                   [--autoscale-sync-period S] [--time-scale X] [--db PATH]\n"
          "                   [--summary|--no-summary] [--controllers LIST]\n"
          "                   [--log-level debug|info|warn|error]\n"
          "  --config        manifests applied at start (Clusters, Deployments, policies...); replaces\n"
          "                  the embedded example\n"
          "  --example       the embedded example applied on the first start when no --config is given\n"
          "                  (default seed1: cluster1 + cluster2 and the first seed's qwen3 Deployment,\n"
          "                  PropagationPolicy and FederatedHPA)\n"
          "  --set           values for ${placeholders} in those manifests\n"
          "  --listen        API server address (default 127.0.0.1:6443; port 0 picks a free one)\n"
          "  --gateway       the OpenAI-compatible endpoint (default 127.0.0.1:8000)\n"
          "  --time-scale    run the control plane's clock X times faster than wall time (tests)\n"
          "  --db            the store's SQLite file (default STATE_DIR/spillway.db)\n"
          "  --controllers   which parts run: * (default), none, or a list of clusters, metrics,\n"
          "                  scheduler, autoscaler, each optionally prefixed with - (e.g. *,-autoscaler)\n");
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
  cluster_fleet *fleet;
  metrics_hub *hub;
  autoscale_metrics_source msrc;
  autoscale_controller *autoscaler;
  schedule_controller *scheduler;
  gw_gateway *gw;
  up_endpoints *endpoints;
  up_summary *summary;
  uv_signal_t sigint, sigterm;
  bool stopping;
} up_state;

/* Second half of the stop: every replica is gone. */
static void on_fleet_stopped(void *ud) {
  up_state *u = ud;
  SW_INFO(UP_LOG, "every replica has stopped");
  apiserver_stop(u->api);
  u->api = NULL;
  if (u->hub) metrics_hub_free(u->hub);
  u->hub = NULL;
  plane_fini(&u->plane);
  uv_close((uv_handle_t *)&u->sigint, NULL);
  uv_close((uv_handle_t *)&u->sigterm, NULL);
  /* the loop ends by itself once every handle is closed */
}

static void on_signal(uv_signal_t *h, int signum) {
  up_state *u = h->data;
  if (u->stopping) return;
  u->stopping = true;
  SW_INFO(UP_LOG, "%s: stopping", signum == SIGINT ? "SIGINT" : "SIGTERM");
  if (u->summary) up_summary_free(u->summary);
  u->summary = NULL;
  /* The gateway first: it stops accepting and finishes what is in flight
   * while the replicas still run; then the replicas stop. */
  if (u->gw) {
    up_endpoints_detach(u->endpoints);
    gw_stop(u->gw);
    u->gw = NULL;
  }
  if (u->fleet) cluster_fleet_shutdown(u->fleet, on_fleet_stopped, u);
  else on_fleet_stopped(u);
}

static void custom_metrics_route(void *ud, const http_request *req, http_response *res) {
  int status = 500;
  json_t *body = metrics_custom_api(ud, req->path, req->query, &status);
  char *text = json_dumps(body, JSON_COMPACT);
  http_respond(res, status, "application/json", text, strlen(text));
  free(text);
  json_decref(body);
}

/* Applies manifests at start: the user's --config files, else (first start
 * only) the embedded example. All of them in one transaction. */
static int apply_initial(up_state *u, const up_options *o, sw_err *err) {
  api_vars vars = {o->set_names, o->set_values, o->n_sets, true};
  json_t *all = json_array();
  json_t *warnings = json_array();
  int rc = 0;
  if (o->n_configs) {
    json_t *objs = NULL;
    rc = client_decode_paths(o->configs, o->n_configs, &vars, &objs, warnings, err);
    if (!rc) json_array_extend(all, objs);
    json_decref(objs);
  } else if (strcmp(o->example, "none") != 0) {
    json_t *clusters = store_list(u->store, "Cluster", NULL);
    bool first_start = json_array_size(clusters) == 0;
    json_decref(clusters);
    if (first_start) {
      /* the seed's placeholders, filled for the embedded fleet; --set wins */
      const char *names[UP_MAX_LIST + 4], *values[UP_MAX_LIST + 4];
      size_t n = 0;
      for (size_t i = 0; i < o->n_sets; i++) names[n] = o->set_names[i], values[n++] = o->set_values[i];
      static const char *defaults[][2] = {{"cluster1_id", "cluster1"}, {"cluster2_id", "cluster2"},
                                          {"waiting_size", "10"}, {"running_size", "20"}};
      for (size_t d = 0; d < 4; d++) names[n] = defaults[d][0], values[n++] = defaults[d][1];
      api_vars dv = {names, values, n, true};
      size_t prefix = strlen(o->example);
      for (const up_manifest *m = up_embedded_manifests; m->name && !rc; m++) {
        if (strncmp(m->name, o->example, prefix) != 0 || m->name[prefix] != '/') continue;
        json_t *objs = NULL;
        char *fname = sw_xasprintf("examples/%s", m->name);
        rc = api_decode_manifests(fname, m->text, strlen(m->text), &dv, &objs, warnings, err);
        free(fname);
        if (!rc) json_array_extend(all, objs);
        json_decref(objs);
      }
    }
  }
  size_t i;
  json_t *w;
  json_array_foreach(warnings, i, w) SW_WARN(UP_LOG, "%s", json_string_value(w));
  json_decref(warnings);
  size_t n = json_array_size(all);
  if (!rc && n) {
    json_t **objs = sw_xcalloc(n, sizeof *objs);
    for (size_t k = 0; k < n; k++) objs[k] = json_array_get(all, k);
    rc = store_apply(u->store, objs, n, plane_now(&u->plane), NULL, err);
    free(objs);
    if (!rc) SW_INFO(UP_LOG, "applied %zu objects at start", n);
  }
  json_decref(all);
  return rc;
}

static void print_banner(const up_state *u, const up_options *o, const char *api_url) {
  printf("spillway is up.\n");
  printf("  control plane   %s   (state in %s)\n", api_url, o->state_dir);
  if (u->gw)
    printf("  gateway         http://%s:%d/v1   (metrics on :%d)\n", o->gw_host, gw_port(u->gw),
           gw_metrics_port(u->gw));
  json_t *clusters = store_list(u->store, "Cluster", NULL);
  size_t i;
  json_t *c;
  json_array_foreach(clusters, i, c) {
    printf("  cluster         %s\n", json_string_value(json_object_get(json_object_get(c, "metadata"), "name")));
  }
  json_decref(clusters);
  printf("\nTry:\n"
         "  spillway get clusters\n"
         "  spillway get pods -A -o wide\n"
         "  spillway get fhpa -A -w\n"
         "  spillway scale deployment -n test qwen3 --replicas=2\n");
  if (u->gw)
    printf("  hey -n 600 -c 60 -m POST -H \"Content-Type: application/json\" \\\n"
           "      -d '{\"messages\": [{\"role\": \"user\", \"content\": \"Test it\"}]}' \\\n"
           "      http://%s:%d/v1/chat/completions\n",
           o->gw_host, gw_port(u->gw));
  printf("Ctrl-C stops everything.\n\n");
  fflush(stdout);
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
  /* One connection per scraped pod and per gateway upstream: the default soft
   * limit of 1,024 descriptors is too few for a large fleet. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
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

  if (apply_initial(&u, o, &err)) {
    client_error("up: %s", err.msg);
    goto out_plane;
  }
  /* Member clusters first: their start cleans replicas a killed `up` left. */
  if (o->controllers & UP_C_CLUSTERS) {
    cluster_fleet_opts fo = {NULL, o->state_dir, -1};
    u.fleet = cluster_fleet_start(&u.plane, &fo, &err);
    if (!u.fleet) {
      client_error("up: %s", err.msg);
      goto out_plane;
    }
  }
  if (o->controllers & UP_C_METRICS) {
    metrics_hub_opts mo = {o->scrape_interval, 0, 0, o->rules_file, o->prometheus_url, 0};
    json_t *mwarn = json_array();
    u.hub = metrics_hub_new(&u.plane, &mo, mwarn, &err);
    size_t wi;
    json_t *wv;
    json_array_foreach(mwarn, wi, wv) SW_WARN(UP_LOG, "%s", json_string_value(wv));
    json_decref(mwarn);
    if (!u.hub) {
      client_error("up: %s", err.msg);
      goto out_plane;
    }
  }
  if (o->controllers & UP_C_SCHEDULER) u.scheduler = schedule_controller_start(&u.plane, NULL);
  if (o->controllers & UP_C_AUTOSCALER) {
    up_metrics_source(&u.msrc, u.hub);
    autoscale_opts ao;
    autoscale_opts_default(&ao);
    if (o->autoscale_period > 0) ao.sync_period = o->autoscale_period;
    u.autoscaler = autoscale_controller_start(&u.plane, &u.msrc, &ao);
  }

  if (apiserver_start(&u.plane, o->host, o->port, token, &u.api, &err)) {
    client_error("up: %s", err.msg);
    goto out_plane;
  }
  if (u.hub) apiserver_add_route(u.api, "/apis/custom.metrics.k8s.io", custom_metrics_route, u.hub);
  if (o->gw_port >= 0) {
    gw_config gc;
    gw_config_defaults(&gc);
    gc.listen_host = o->gw_host;
    gc.listen_port = o->gw_port;
    gc.metrics_port = o->gw_metrics_port;
    if (o->gw_workers > 0) gc.workers = o->gw_workers;
    if (o->gw_policy) gc.policy = o->gw_policy;
    if (gw_start(&gc, &u.gw, &err)) {
      client_error("up: gateway: %s", err.msg);
      apiserver_stop(u.api);
      goto out_plane;
    }
    u.endpoints = up_endpoints_start(&u.plane, u.gw, u.hub, 0.5);
  }

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
  print_banner(&u, o, url);
  bool live = o->summary > 0 || (o->summary < 0 && isatty(STDOUT_FILENO));
  if (live) {
    char footer[600];
    int n = snprintf(footer, sizeof footer, "control plane %s   state %s\n", url, o->state_dir);
    if (u.gw && n > 0 && (size_t)n < sizeof footer)
      snprintf(footer + n, sizeof footer - (size_t)n, "gateway       http://%s:%d/v1  (OpenAI API)\n", o->gw_host,
               gw_port(u.gw));
    u.summary = up_summary_start(&u.plane, u.hub, footer);
  }
  uv_run(&u.loop, UV_RUN_DEFAULT);
  SW_INFO(UP_LOG, "stopped");
  rc = 0;
  goto out_store;
out_plane:
  up_endpoints_detach(u.endpoints);
  if (u.gw) gw_stop(u.gw);
  u.gw = NULL;
  if (u.fleet) cluster_fleet_stop(u.fleet);
  if (u.hub) metrics_hub_free(u.hub);
  u.hub = NULL;
  plane_fini(&u.plane);
  uv_run(&u.loop, UV_RUN_DEFAULT); /* lets the closed handles finish */
out_store:
  if (u.endpoints) up_endpoints_free(u.endpoints);
  autoscale_controller_free(u.autoscaler);
  schedule_controller_free(u.scheduler);
  if (u.fleet) cluster_fleet_free(u.fleet);
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
  o.example = "seed1";
  snprintf(o.gw_host, sizeof o.gw_host, "127.0.0.1");
  o.gw_port = 8000;
  o.gw_metrics_port = 9400;
  o.summary = -1;
  o.controllers = UP_C_ALL;
  const char *state_flag = NULL, *listen = NULL, *scale = NULL, *level = NULL, *gw = NULL, *gwm = NULL,
             *gww = NULL, *cfg = NULL, *set = NULL, *scrape = NULL, *asp = NULL,
             *ctrls = NULL;
  for (int i = 1; i < argc;) {
    int r;
    if ((r = client_flag_value(argc, argv, &i, NULL, "--config", &cfg)) ||
        (r = client_flag_value(argc, argv, &i, "-f", NULL, &cfg))) {
      if (r < 0) return 2;
      if (o.n_configs == UP_MAX_LIST) {
        client_error("up: at most %d --config flags", UP_MAX_LIST);
        return 2;
      }
      o.configs[o.n_configs++] = cfg;
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, NULL, "--set", &set))) {
      if (r < 0) return 2;
      const char *eq = strchr(set, '=');
      if (!eq || eq == set) {
        client_error("up: --set %s: expected NAME=VALUE", set);
        return 2;
      }
      if (o.n_sets == UP_MAX_LIST) {
        client_error("up: at most %d --set flags", UP_MAX_LIST);
        return 2;
      }
      o.set_names[o.n_sets] = sw_xstrndup(set, (size_t)(eq - set));
      o.set_values[o.n_sets++] = eq + 1;
      continue;
    }
    if (!strcmp(argv[i], "--summary") || !strcmp(argv[i], "--no-summary")) {
      o.summary = !strcmp(argv[i], "--summary");
      i++;
      continue;
    }
    if ((r = client_flag_value(argc, argv, &i, NULL, "--example", &o.example)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--gateway", &gw)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--gateway-metrics", &gwm)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--gateway-workers", &gww)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--gateway-policy", &o.gw_policy)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--rules", &o.rules_file)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--prometheus", &o.prometheus_url)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--scrape-interval", &scrape)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--autoscale-sync-period", &asp)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--controllers", &ctrls)) ||
        (r = client_flag_value(argc, argv, &i, NULL, "--state-dir", &state_flag)) ||
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
  if (gw && !strcmp(gw, "off"))
    o.gw_port = -1;
  else if (gw && parse_listen(gw, o.gw_host, sizeof o.gw_host, &o.gw_port)) {
    client_error("up: --gateway %s: expected HOST:PORT (e.g. 127.0.0.1:8000) or off", gw);
    return 2;
  }
  struct {
    const char *flag, *text;
    double *dst;
    int *idst;
    double min, max;
  } nums[] = {{"--scrape-interval", scrape, &o.scrape_interval, NULL, 0.001, 3600},
              {"--autoscale-sync-period", asp, &o.autoscale_period, NULL, 0.001, 3600},
              {"--gateway-metrics", gwm, NULL, &o.gw_metrics_port, -1, 65535},
              {"--gateway-workers", gww, NULL, &o.gw_workers, 1, 256}};
  for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
    if (!nums[k].text) continue;
    char *end;
    double v = strtod(nums[k].text, &end);
    if (!*nums[k].text || *end || !(v >= nums[k].min && v <= nums[k].max) ||
        (nums[k].idst && v != (int)v)) {
      client_error("up: %s %s: expected a number from %g to %g", nums[k].flag, nums[k].text, nums[k].min,
                   nums[k].max);
      return 2;
    }
    if (nums[k].dst) *nums[k].dst = v;
    else *nums[k].idst = (int)v;
  }
  if (ctrls && parse_controllers(ctrls, &o.controllers)) {
    client_error("up: --controllers %s: expected *, none, or a comma list of clusters, metrics, scheduler, "
                 "autoscaler (each optionally prefixed with -)",
                 ctrls);
    return 2;
  }
  if (strcmp(o.example, "seed1") && strcmp(o.example, "seed2") && strcmp(o.example, "none")) {
    client_error("up: --example %s: expected seed1, seed2 or none", o.example);
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
  for (size_t k = 0; k < o.n_sets; k++) free((char *)o.set_names[k]);
  return rc;
}
