/*
 * cmd_gateway.c — `spillway gateway`: the OpenAI-compatible gateway on its
 * own, in front of the replicas listed in an endpoints file. A thin client of
 * src/gateway: parse flags, start the gateway and the static endpoint source,
 * reload the file on SIGHUP, drain and exit on SIGTERM/SIGINT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/sw.h"
#include "cli/cli.h"
#include "gateway/epfile.h"
#include "gateway/gateway.h"
#include "gateway/static_source.h"

static void usage(FILE *f) {
  fprintf(f, "usage: spillway gateway --endpoints FILE [options]\n"
             "\n"
             "Serves the OpenAI API (/v1/chat/completions, /v1/completions, /v1/embeddings,\n"
             "/v1/models) on one address and sends each request to a ready replica of the\n"
             "requested model. The endpoints file (YAML or JSON) is re-read on SIGHUP.\n"
             "\n"
             "  --listen HOST:PORT           address to serve (127.0.0.1:8000)\n"
             "  --endpoints FILE             replicas: [{model, address, cluster, priority, ...}]\n"
             "  --metrics-listen HOST:PORT|off  Prometheus /metrics (127.0.0.1:9464)\n"
             "  --workers N                  worker threads (number of cores)\n"
             "  --policy NAME                least-load | round-robin | least-inflight (least-load)\n"
             "  --default-model NAME         model for requests that name none (the only one served)\n"
             "  --connect-timeout S          connecting to a replica (5)\n"
             "  --first-byte-timeout S       request sent to first response byte (600)\n"
             "  --idle-timeout S             silence inside a streamed response (120)\n"
             "  --client-header-timeout S    a client's complete request head (10)\n"
             "  --client-body-timeout S      a client's complete request body (30)\n"
             "  --client-idle-timeout S      idle keep-alive client connections (75)\n"
             "  --max-header-bytes N         request line + headers, 431 above (16384)\n"
             "  --max-body-bytes N           request body, 413 above (8388608)\n"
             "  --queue-size N               requests held while a model has no ready replica (1024; 0 = none)\n"
             "  --queue-deadline S           how long they are held before 503 (30)\n"
             "  --retry-after S              Retry-After on 503 (5)\n"
             "  --upstream-keepalive N       idle connections kept per replica per worker (128)\n"
             "  --eject-seconds S            a replica refusing connections is skipped (2)\n"
             "  --scrape-interval S          read each replica's /metrics for its load; 0 = off (1)\n"
             "  --scrape-timeout S           per scrape (1)\n"
             "  --access-log                 one line per request on stderr (off)\n"
             "  --access-log-file PATH       ... or appended to PATH\n"
             "  --log-level LEVEL            debug | info | warn | error (info)\n");
}

static bool split_hostport(const char *s, const char **host, int *port, char *buf, size_t n) {
  if (!gw_parse_address(s, buf, n, port)) {
    /* ":8000" and "8000" mean the default host. */
    const char *p = s[0] == ':' ? s + 1 : s;
    char *end;
    long v = strtol(p, &end, 10);
    if (*p == 0 || *end != 0 || v < 0 || v > 65535) return false;
    *port = (int)v;
    return true;
  }
  *host = buf;
  return true;
}

static bool num(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || errno) return false;
  if (*end == 'k' || *end == 'K')
    v *= 1024, end++;
  else if (*end == 'm' || *end == 'M')
    v *= 1024 * 1024, end++;
  if (*end == 'i') end++;
  if (*end != 0 || v < 0) return false;
  *out = v;
  return true;
}

typedef struct app {
  gw_gateway *g;
  gw_static *src;
  uv_signal_t hup, term, intr;
} app;

static void on_hup(uv_signal_t *h, int sig) {
  (void)sig;
  app *a = h->data;
  sw_err err = {0};
  if (gw_static_reload(a->src, &err) != 0)
    SW_ERROR("gateway", "reload failed, keeping the previous endpoints: %s", err.msg);
}

static void on_term(uv_signal_t *h, int sig) {
  app *a = h->data;
  if (sig) SW_INFO("gateway", "%s: draining requests in flight", sig == SIGINT ? "SIGINT" : "SIGTERM");
  uv_close((uv_handle_t *)&a->hup, NULL);
  uv_close((uv_handle_t *)&a->term, NULL);
  uv_close((uv_handle_t *)&a->intr, NULL);
}

int cmd_gateway(int argc, char **argv) {
  gw_config cfg;
  gw_config_defaults(&cfg);
  cfg.metrics_port = 9464;
  const char *endpoints = NULL, *access_path = NULL, *metrics = NULL;
  char lhost[256], mhost[256];
  gw_static_opts so = {.scrape_interval = 1, .scrape_timeout = 1};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(arg, "--access-log") == 0) {
      cfg.access_log = true;
      continue;
    }
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(stderr, "spillway gateway: unexpected argument \"%s\" (see --help)\n", arg);
      return 2;
    }
    char name[64];
    const char *val = NULL;
    const char *eq = strchr(arg, '=');
    if (eq) {
      snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
      val = eq + 1;
    } else {
      snprintf(name, sizeof name, "%s", arg);
      if (i + 1 >= argc) {
        fprintf(stderr, "spillway gateway: %s needs a value\n", name);
        return 2;
      }
      val = argv[++i];
    }
    double d = 0;
    bool ok = true;
    if (strcmp(name, "--listen") == 0)
      ok = split_hostport(val, &cfg.listen_host, &cfg.listen_port, lhost, sizeof lhost);
    else if (strcmp(name, "--endpoints") == 0)
      endpoints = val;
    else if (strcmp(name, "--metrics-listen") == 0)
      metrics = val;
    else if (strcmp(name, "--policy") == 0)
      cfg.policy = val;
    else if (strcmp(name, "--default-model") == 0)
      cfg.default_model = val;
    else if (strcmp(name, "--access-log-file") == 0)
      access_path = val, cfg.access_log = true;
    else if (strcmp(name, "--log-level") == 0) {
      int lvl = sw_log_parse_level(val);
      ok = lvl >= 0;
      if (ok) sw_log_set_level((sw_log_level)lvl);
    } else if (!(ok = num(val, &d))) {
      /* reported below */
    } else if (strcmp(name, "--workers") == 0)
      cfg.workers = (int)d, ok = d >= 1 && d <= 64;
    else if (strcmp(name, "--connect-timeout") == 0)
      cfg.connect_timeout = d, ok = d > 0;
    else if (strcmp(name, "--first-byte-timeout") == 0)
      cfg.first_byte_timeout = d, ok = d > 0;
    else if (strcmp(name, "--idle-timeout") == 0)
      cfg.idle_timeout = d, ok = d > 0;
    else if (strcmp(name, "--client-header-timeout") == 0)
      cfg.client_header_timeout = d, ok = d > 0;
    else if (strcmp(name, "--client-body-timeout") == 0)
      cfg.client_body_timeout = d, ok = d > 0;
    else if (strcmp(name, "--client-idle-timeout") == 0)
      cfg.client_idle_timeout = d, ok = d > 0;
    else if (strcmp(name, "--max-header-bytes") == 0)
      cfg.max_header_bytes = (size_t)d, ok = d >= 256;
    else if (strcmp(name, "--max-body-bytes") == 0)
      cfg.max_body_bytes = (size_t)d, ok = d >= 1;
    else if (strcmp(name, "--queue-size") == 0)
      cfg.queue_size = d == 0 ? -1 : (int)d;
    else if (strcmp(name, "--queue-deadline") == 0)
      cfg.queue_deadline = d, ok = d > 0;
    else if (strcmp(name, "--retry-after") == 0)
      cfg.retry_after = (int)d, ok = d >= 1;
    else if (strcmp(name, "--upstream-keepalive") == 0)
      cfg.upstream_keepalive = (int)d, ok = d >= 1;
    else if (strcmp(name, "--eject-seconds") == 0)
      cfg.eject_seconds = d, ok = d > 0;
    else if (strcmp(name, "--scrape-interval") == 0)
      so.scrape_interval = d;
    else if (strcmp(name, "--scrape-timeout") == 0)
      so.scrape_timeout = d, ok = d > 0;
    else {
      fprintf(stderr, "spillway gateway: unknown option %s (see --help)\n", name);
      return 2;
    }
    if (!ok) {
      fprintf(stderr, "spillway gateway: %s: invalid value \"%s\" (see --help)\n", name, val);
      return 2;
    }
  }
  if (!endpoints) {
    fprintf(stderr, "spillway gateway: --endpoints FILE is required (see --help)\n");
    return 2;
  }
  bool known = false;
  for (const char *const *p = gw_policy_names(); *p; p++) known |= strcmp(*p, cfg.policy) == 0;
  if (!known) {
    fprintf(stderr,
            "spillway gateway: --policy: unknown policy \"%s\" (expected least-load, round-robin or "
            "least-inflight)\n",
            cfg.policy);
    return 2;
  }
  if (metrics) {
    if (strcmp(metrics, "off") == 0)
      cfg.metrics_port = -1;
    else {
      cfg.metrics_host = cfg.listen_host;
      if (!split_hostport(metrics, &cfg.metrics_host, &cfg.metrics_port, mhost, sizeof mhost)) {
        fprintf(stderr, "spillway gateway: --metrics-listen: expected HOST:PORT or off, got \"%s\"\n",
                metrics);
        return 2;
      }
    }
  }
  FILE *alog = NULL;
  if (access_path) {
    alog = fopen(access_path, "a");
    if (!alog) {
      fprintf(stderr, "spillway gateway: --access-log-file %s: %s\n", access_path, strerror(errno));
      return 1;
    }
    cfg.access_log_file = alog;
  }

  /* Check the file before binding anything: a typo should not leave a
   * listener half up. */
  gw_epfile probe;
  sw_err err = {0};
  if (gw_epfile_load(endpoints, &probe, &err) != 0) {
    fprintf(stderr, "spillway gateway: %s\n", err.msg);
    if (alog) fclose(alog);
    return 1;
  }
  gw_epfile_free(&probe);

  /* Signals first: a SIGHUP that arrives while starting must not kill us
   * (libuv queues it until the loop runs). */
  app a = {0};
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_signal_init(&loop, &a.hup);
  uv_signal_init(&loop, &a.term);
  uv_signal_init(&loop, &a.intr);
  a.hup.data = a.term.data = a.intr.data = &a;
  uv_signal_start(&a.hup, on_hup, SIGHUP);
  uv_signal_start(&a.term, on_term, SIGTERM);
  uv_signal_start(&a.intr, on_term, SIGINT);
  int rc = gw_start(&cfg, &a.g, &err);
  if (rc == 0 && (rc = gw_static_start(a.g, endpoints, &so, &a.src, &err)) != 0) gw_stop(a.g);
  if (rc != 0) {
    fprintf(stderr, "spillway gateway: %s\n", err.msg);
    on_term(&a.term, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (alog) fclose(alog);
    return 1;
  }
  if (gw_metrics_port(a.g) >= 0)
    SW_INFO("gateway", "metrics on http://%s:%d/metrics",
            cfg.metrics_host ? cfg.metrics_host : cfg.listen_host, gw_metrics_port(a.g));

  uv_run(&loop, UV_RUN_DEFAULT); /* returns once a stop signal closed the handles */
  uv_loop_close(&loop);

  gw_static_stop(a.src);
  gw_stop(a.g);
  if (alog) fclose(alog);
  return 0;
}
