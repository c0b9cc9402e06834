/*
 * cmd_metrics.c — `spillway metrics ...`: see what the autoscaler would see,
 * without a running control plane. The tool users reach for when metrics do
 * not arrive.
 *
 *   metrics scrape URL [--rules FILE] [--count N] [--interval S] [--timeout S]
 *                      [--namespace NS] [--pod POD]
 *       scrapes one /metrics URL (N times), prints the parsed families and the
 *       value of every metric name the rules resolve, as JSON.
 *   metrics query --prometheus URL [--rules FILE] --namespace NS --pod POD
 *                 [--selector JSON] [--timeout S] METRIC
 *       asks a Prometheus server exactly as the hub would (series discovery,
 *       the rule's metricsQuery) and prints the value, or the precise error.
 *   metrics rules [--rules FILE]
 *       checks a rules file (warnings included) or prints the built-in rules.
 *   metrics bench --targets FILE [--duration S] [--warmup S] [--interval S]
 *                 [--timeout S] [--pods]
 *       scrapes every URL of FILE each interval for the duration and prints
 *       the CPU it cost per wall second (bench/metrics uses it); --pods runs
 *       the whole hub over Pod objects in an in-memory store instead.
 *
 * Role in the data flow: a thin client of src/metrics on its own uv loop.
 * Exit codes: 0 success, 1 the operation failed, 2 bad usage.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "cli/cli.h"
#include "metrics/adapter.h"
#include "metrics/hub.h"
#include "metrics/mcurl.h"
#include "metrics/promclient.h"
#include "metrics/promql.h"
#include "metrics/promtext.h"
#include "metrics/scraper.h"

static void usage(FILE *f) {
  fprintf(f, "usage:\n"
             "  spillway metrics scrape URL [--rules FILE] [--count N] [--interval S] [--timeout S]\n"
             "                          [--namespace NS] [--pod POD]\n"
             "  spillway metrics query --prometheus URL [--rules FILE] --namespace NS --pod POD\n"
             "                         [--selector JSON] [--timeout S] METRIC\n"
             "  spillway metrics rules [--rules FILE]\n"
             "  spillway metrics bench --targets FILE [--duration S] [--warmup S] [--interval S] [--timeout "
             "S] [--pods]\n");
}

/* ---- flags ------------------------------------------------------------------------- */

typedef struct {
  const char *rules, *prometheus, *ns, *pod, *selector, *targets;
  double timeout, interval, duration, warmup;
  long count;
  bool pods;
  const char *pos[4];
  size_t npos;
} flags;

static int parse_flags(int argc, char **argv, flags *f) {
  memset(f, 0, sizeof *f);
  f->timeout = 1;
  f->interval = 1;
  f->count = 1;
  f->duration = 10;
  f->warmup = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      exit(0);
    }
    if (strcmp(a, "-n") != 0 && (strncmp(a, "--", 2) != 0 || !a[2])) {
      if (f->npos >= 4) {
        fprintf(stderr, "spillway metrics: too many arguments (\"%s\")\n", a);
        return -1;
      }
      f->pos[f->npos++] = a;
      continue;
    }
    if (!strcmp(a, "--pods")) {
      f->pods = true;
      continue;
    }
    const char *eq = strchr(a, '=');
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq ? eq - a : (long)strlen(a)), a);
    const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
    if (!v) {
      fprintf(stderr, "spillway metrics: %s needs a value\n", name);
      return -1;
    }
    char *end = NULL;
    if (!strcmp(name, "--rules"))
      f->rules = v;
    else if (!strcmp(name, "--prometheus"))
      f->prometheus = v;
    else if (!strcmp(name, "--namespace") || !strcmp(name, "-n"))
      f->ns = v;
    else if (!strcmp(name, "--pod"))
      f->pod = v;
    else if (!strcmp(name, "--selector"))
      f->selector = v;
    else if (!strcmp(name, "--targets"))
      f->targets = v;
    else if (!strcmp(name, "--timeout"))
      f->timeout = strtod(v, &end);
    else if (!strcmp(name, "--interval"))
      f->interval = strtod(v, &end);
    else if (!strcmp(name, "--duration"))
      f->duration = strtod(v, &end);
    else if (!strcmp(name, "--warmup"))
      f->warmup = strtod(v, &end);
    else if (!strcmp(name, "--count"))
      f->count = strtol(v, &end, 10);
    else {
      fprintf(stderr, "spillway metrics: unknown flag %s\n", name);
      return -1;
    }
    if (end && (*end || end == v)) {
      fprintf(stderr, "spillway metrics: %s: expected a number, got \"%s\"\n", name, v);
      return -1;
    }
  }
  if (f->timeout <= 0 || f->interval <= 0 || f->duration <= 0 || f->count < 1) {
    fprintf(stderr, "spillway metrics: --timeout, --interval, --duration and --count must be positive\n");
    return -1;
  }
  return 0;
}

static adapter_rules *load_rules(const char *file, json_t *warnings) {
  if (!file) return adapter_rules_default();
  adapter_rules *rs;
  sw_err err;
  if (adapter_rules_load(file, &rs, warnings, &err) != 0) {
    fprintf(stderr, "spillway metrics: %s\n", err.msg);
    return NULL;
  }
  return rs;
}

static void print_warnings(const json_t *w) {
  size_t i;
  json_t *s;
  json_array_foreach(w, i, s) fprintf(stderr, "warning: %s\n", json_string_value(s));
}

/* The shortest text that reads back as the same double. */
static void fmt_value(double v, char *buf, size_t n) {
  if (isnan(v)) {
    snprintf(buf, n, "NaN");
    return;
  }
  if (isinf(v)) {
    snprintf(buf, n, v > 0 ? "+Inf" : "-Inf");
    return;
  }
  for (int p = 1; p <= 17; p++) {
    snprintf(buf, n, "%.*g", p, v);
    if (strtod(buf, NULL) == v) return;
  }
}

static json_t *json_value(double v) {
  if (isfinite(v)) return json_real(v);
  char b[16];
  fmt_value(v, b, sizeof b);
  return json_string(b);
}

static void close_walk(uv_handle_t *h, void *arg) {
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void loop_finish(uv_loop_t *loop) {
  uv_run(loop, UV_RUN_NOWAIT);
  uv_walk(loop, close_walk, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
}

/* ---- scrape ------------------------------------------------------------------------- */

typedef struct {
  uv_loop_t *loop;
  uv_timer_t timer;
  mcurl *m;
  const char *url;
  mcurl_opts o;
  promtext_doc *doc;
  msamples *s;
  sw_clock clock;
  long left;
  double interval;
  char error[1200];
} scrape_run;

static void scrape_next(scrape_run *r);

static void on_tick(uv_timer_t *t) { scrape_next(t->data); }

static void on_body(void *ud, const mcurl_result *res) {
  scrape_run *r = ud;
  double t = sw_clock_now(&r->clock);
  sw_err err;
  if (!res->ok)
    snprintf(r->error, sizeof r->error, "%s: %s", r->url, res->error);
  else if (res->http_status != 200)
    snprintf(r->error, sizeof r->error, "%s: HTTP %ld", r->url, res->http_status);
  else if (promtext_parse(r->doc, res->body, res->len, &err) != 0)
    snprintf(r->error, sizeof r->error, "%s: %s", r->url, err.msg);
  if (r->error[0]) return;
  msamples_ingest(r->s, r->doc, t);
  if (--r->left > 0) uv_timer_start(&r->timer, on_tick, (uint64_t)(r->interval * 1000), 0);
}

static void scrape_next(scrape_run *r) { mcurl_get(r->m, r->url, &r->o, on_body, r); }

static json_t *families_json(const promtext_doc *d) {
  json_t *fams = json_array();
  for (size_t i = 0; i < d->n_families; i++) {
    const promtext_family *f = &d->families[i];
    json_t *samples = json_array();
    for (size_t k = f->first; k < f->first + f->n_samples; k++) {
      const promtext_sample *s = &d->samples[k];
      json_t *labels = json_object();
      for (size_t l = 0; l < s->n_labels; l++)
        json_object_set_new(labels, s->labels[l].name, json_string(s->labels[l].value));
      json_t *o =
          json_pack("{s:s,s:o,s:o}", "name", s->name, "labels", labels, "value", json_value(s->value));
      if (s->has_timestamp) json_object_set_new(o, "timestamp", json_real(s->timestamp));
      json_array_append_new(samples, o);
    }
    json_t *fo =
        json_pack("{s:s,s:s,s:o}", "name", f->name, "type", promtext_type_name(f->type), "samples", samples);
    if (f->help) json_object_set_new(fo, "help", json_string(f->help));
    json_array_append_new(fams, fo);
  }
  return fams;
}

static json_t *metrics_json(const adapter_rules *rs, const msamples *s, const char *ns, const char *pod,
                            double now) {
  json_t *out = json_object();
  json_t *names = adapter_names(rs, s, ns, pod);
  size_t i;
  json_t *n;
  json_array_foreach(names, i, n) {
    const char *metric = json_string_value(n);
    size_t rule;
    sw_buf series;
    sw_buf_init(&series);
    sw_err err;
    json_t *o;
    if (adapter_resolve(rs, metric, s, ns, pod, &rule, &series, &err) != 0) {
      o = json_pack("{s:s}", "error", err.msg);
    } else {
      const adapter_rule *r = &rs->rules[rule];
      char where[600];
      snprintf(where, sizeof where, "%s:%zu", rs->source, r->line);
      o = json_pack("{s:s,s:s}", "series", series.data, "rule", where);
      const char *pods[] = {pod};
      char *q = adapter_rule_query(r, series.data, ns, pods, 1, NULL, &err);
      promql_expr *e = NULL;
      if (r->scrape_error) {
        json_object_set_new(o, "error", json_string(r->scrape_error));
      } else if (!q || promql_parse(q, &e, &err) != 0) {
        json_object_set_new(o, "error", json_string(err.msg));
      } else {
        json_object_set_new(o, "query", json_string(q));
        promtext_label target[6];
        size_t nt = adapter_target_labels(r, ns, pod, target);
        promql_result res;
        if (promql_eval(e, s, target, nt, now, 300, &res, &err) != 0) {
          json_object_set_new(o, "error", json_string(err.msg));
        } else if (res.is_scalar) {
          json_object_set_new(o, "value", json_value(res.scalar));
        } else if (res.n >= 1) {
          json_object_set_new(o, "value", json_value(res.elems[0].value));
        } else {
          json_object_set_new(o, "error", json_string(res.why[0] ? res.why : "the query returned nothing"));
        }
        promql_result_free(&res);
      }
      promql_free(e);
      free(q);
    }
    json_object_set_new(out, metric, o);
    sw_buf_free(&series);
  }
  json_decref(names);
  return out;
}

static int cmd_scrape(flags *f) {
  if (f->npos != 2) {
    usage(stderr);
    return 2;
  }
  json_t *warnings = json_array();
  adapter_rules *rs = load_rules(f->rules, warnings);
  if (!rs) {
    json_decref(warnings);
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  scrape_run r = {.loop = &loop, .url = f->pos[1], .left = f->count, .interval = f->interval};
  r.o = (mcurl_opts){.timeout_ms = (long)(f->timeout * 1000),
                     .accept = "text/plain;version=0.0.4;q=1,*/*;q=0.1"};
  sw_clock_init_real(&r.clock, 1);
  r.m = mcurl_new(&loop);
  r.doc = promtext_doc_new();
  r.s = msamples_new(r.left + 1 > 60 ? (size_t)r.left + 1 : 60);
  uv_timer_init(&loop, &r.timer);
  r.timer.data = &r;
  scrape_next(&r);
  uv_run(&loop, UV_RUN_DEFAULT);
  int rc = 0;
  if (r.error[0]) {
    fprintf(stderr, "spillway metrics scrape: %s\n", r.error);
    rc = 1;
  } else {
    const char *ns = f->ns ? f->ns : "default", *pod = f->pod ? f->pod : "pod";
    json_t *out =
        json_pack("{s:s,s:I,s:s,s:o,s:o,s:O}", "url", r.url, "scrapes", (json_int_t)msamples_scrapes(r.s),
                  "rules", rs->source, "families", families_json(r.doc), "metrics",
                  metrics_json(rs, r.s, ns, pod, msamples_last_time(r.s)), "warnings", warnings);
    char *text = json_dumps(out, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
    json_decref(out);
  }
  mcurl_free(r.m);
  loop_finish(&loop);
  promtext_doc_free(r.doc);
  msamples_free(r.s);
  adapter_rules_free(rs);
  json_decref(warnings);
  return rc;
}

/* ---- query ----------------------------------------------------------------------------- */

typedef struct {
  promsource *ps;
  const char *metric, *ns, *pod;
  json_t *selector;
  int rc;
  char *out;
} query_run;

static void on_answer(void *ud, const promsource_answer *a) {
  query_run *q = ud;
  double v, ts;
  if (a->error) {
    q->out = sw_xasprintf("no metric \"%s\" for pod %s/%s: %s", q->metric, q->ns, q->pod, a->error);
  } else if (!promsource_answer_pod(a, q->pod, &v, &ts)) {
    q->out =
        sw_xasprintf("no metric \"%s\" for pod %s/%s: Prometheus at %s answered query \"%s\" with no sample "
                     "whose %s is \"%s\"",
                     q->metric, q->ns, q->pod, promsource_url(q->ps), a->query,
                     a->pod_label ? a->pod_label : "pod label", q->pod);
  } else {
    char b[64];
    fmt_value(v, b, sizeof b);
    q->out = sw_xstrdup(b);
    q->rc = 0;
  }
}

static void on_discovered(void *ud) {
  query_run *q = ud;
  size_t rule;
  const char *series;
  sw_err err;
  if (promsource_lookup(q->ps, q->metric, &rule, &series, &err) != 0) {
    q->out = sw_xasprintf("no metric \"%s\" for pod %s/%s: %s", q->metric, q->ns, q->pod, err.msg);
    return;
  }
  const char *pods[] = {q->pod};
  if (promsource_query(q->ps, rule, series, q->ns, pods, 1, q->selector, on_answer, q, &err) != 0)
    q->out = sw_xasprintf("no metric \"%s\" for pod %s/%s: %s", q->metric, q->ns, q->pod, err.msg);
}

static int cmd_query(flags *f) {
  if (f->npos != 2 || !f->prometheus || !f->ns || !f->pod) {
    fprintf(stderr,
            "spillway metrics query: needs --prometheus URL, --namespace NS, --pod POD and one METRIC\n");
    usage(stderr);
    return 2;
  }
  json_t *selector = NULL;
  if (f->selector) {
    json_error_t je;
    selector = json_loads(f->selector, 0, &je);
    if (!json_is_object(selector)) {
      fprintf(stderr,
              "spillway metrics query: --selector: expected a JSON object such as "
              "{\"matchLabels\":{\"model_name\":\"qwen3\"}}: %s\n",
              selector ? "not an object" : je.text);
      json_decref(selector);
      return 2;
    }
  }
  json_t *warnings = json_array();
  adapter_rules *rs = load_rules(f->rules, warnings);
  print_warnings(warnings);
  json_decref(warnings);
  if (!rs) {
    json_decref(selector);
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  mcurl *m = mcurl_new(&loop);
  query_run q = {.metric = f->pos[1], .ns = f->ns, .pod = f->pod, .selector = selector, .rc = 1};
  q.ps = promsource_new(m, f->prometheus, rs, f->timeout);
  promsource_discover(q.ps, sw_wall_now(), 600, on_discovered, &q);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (q.rc == 0)
    printf("%s\n", q.out);
  else
    fprintf(stderr, "spillway metrics query: %s\n", q.out ? q.out : "no answer");
  free(q.out);
  promsource_free(q.ps);
  mcurl_free(m);
  loop_finish(&loop);
  adapter_rules_free(rs);
  json_decref(selector);
  return q.rc;
}

/* ---- rules ------------------------------------------------------------------------------ */

static int cmd_rules(flags *f) {
  if (!f->rules) {
    fputs(adapter_default_rules_yaml(), stdout);
    return 0;
  }
  json_t *warnings = json_array();
  adapter_rules *rs = load_rules(f->rules, warnings);
  print_warnings(warnings);
  json_decref(warnings);
  if (!rs) return 1;
  for (size_t i = 0; i < rs->n; i++) {
    const adapter_rule *r = &rs->rules[i];
    printf("%s:%zu: seriesQuery %s -> name %s, pod label %s%s%s\n", rs->source, r->line, r->series_query,
           r->name_as, r->pod_label ? r->pod_label : "(none)",
           r->scrape_error ? ", needs a Prometheus server" : "", r->window > 0 ? ", rate window" : "");
  }
  adapter_rules_free(rs);
  return 0;
}

/* ---- bench ------------------------------------------------------------------------------ */

typedef struct {
  uv_timer_t tick, stop;
  mscraper *scraper;
  metrics_hub *hub;
  double interval;
} bench_run;

static void bench_tick(uv_timer_t *t) {
  bench_run *b = t->data;
  mscraper_tick(b->scraper);
}

static void bench_stop(uv_timer_t *t) { uv_stop(t->loop); }

/* Scrapes done by every pod so far; *ok (optional): pods whose last scrape succeeded. */
static json_int_t hub_scrapes(metrics_hub *h, size_t *ok) {
  json_t *status = metrics_hub_status(h);
  size_t i;
  json_t *x;
  json_int_t scrapes = 0;
  if (ok) *ok = 0;
  json_array_foreach(status, i, x) {
    const char *le = json_string_value(json_object_get(x, "lastError"));
    if (ok && le && !*le) (*ok)++;
    scrapes += json_integer_value(json_object_get(x, "scrapes"));
  }
  json_decref(status);
  return scrapes;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

/* Splits http://127.0.0.1:PORT/PATH into port and path. */
static bool split_url(const char *url, int *port, const char **path) {
  const char *p = strstr(url, "://");
  if (!p) return false;
  p = strchr(p + 3, ':');
  if (!p) return false;
  *port = atoi(p + 1);
  *path = strchr(p, '/');
  return *port > 0 && *path;
}

static int cmd_bench(flags *f) {
  if (!f->targets) {
    fprintf(stderr, "spillway metrics bench: needs --targets FILE (one URL per line)\n");
    return 2;
  }
  sw_err err;
  char *text = sw_read_file(f->targets, NULL, &err);
  if (!text) {
    fprintf(stderr, "spillway metrics bench: %s\n", err.msg);
    return 1;
  }
  /* a connection per target, kept alive: lift the soft descriptor limit */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  bench_run b = {.interval = f->interval};
  mcurl *m = NULL;
  store_t *st = NULL;
  plane p;
  sw_clock clock;
  sw_clock_init_real(&clock, 1);
  size_t n = 0;
  if (f->pods) {
    if (store_open(&st, ":memory:", &err) != 0) {
      fprintf(stderr, "spillway metrics bench: %s\n", err.msg);
      free(text);
      return 1;
    }
    plane_init(&p, &loop, st, 1);
  } else {
    m = mcurl_new(&loop);
    mscraper_opts so = {.timeout = f->timeout};
    b.scraper = mscraper_new(m, &clock, &so);
  }
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    while (*line == ' ') line++;
    if (!*line || *line == '#') continue;
    char id[32];
    snprintf(id, sizeof id, "bench/pod-%05zu", n++);
    if (!f->pods) {
      mscraper_set(b.scraper, id, line);
      continue;
    }
    int port;
    const char *path;
    if (!split_url(line, &port, &path)) {
      fprintf(stderr, "spillway metrics bench: %s: expected http://127.0.0.1:PORT/PATH\n", line);
      free(text);
      return 2;
    }
    char name[32], ps[16];
    snprintf(name, sizeof name, "pod-%05zu", n);
    snprintf(ps, sizeof ps, "%d", port);
    json_t *pod =
        json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s,s:s}},s:{}}", "apiVersion", "v1", "kind", "Pod", "metadata",
                  "name", name, "namespace", "bench", "annotations", "prometheus.io/scrape", "true",
                  "prometheus.io/port", ps, "prometheus.io/path", path, "spec");
    json_t *status = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "phase", "Running", "podIP", "127.0.0.1",
                               "conditions", "type", "Ready", "status", "True");
    if (store_apply(st, &pod, 1, 0, NULL, &err) != 0 ||
        store_update_status(st, "Pod", "bench", name, status, &err) != 0) {
      fprintf(stderr, "spillway metrics bench: %s\n", err.msg);
      json_decref(pod);
      json_decref(status);
      free(text);
      return 1;
    }
    json_decref(pod);
    json_decref(status);
  }
  free(text);
  if (f->pods) {
    metrics_hub_opts ho = {.interval = f->interval, .timeout = f->timeout};
    b.hub = metrics_hub_new(&p, &ho, NULL, &err);
    if (!b.hub) {
      fprintf(stderr, "spillway metrics bench: %s\n", err.msg);
      return 1;
    }
  } else {
    uv_timer_init(&loop, &b.tick);
    b.tick.data = &b;
    uv_timer_start(&b.tick, bench_tick, 0, (uint64_t)(f->interval * 1000));
  }
  /* warm up (connections, series tables: one interval by default), then measure */
  uv_timer_init(&loop, &b.stop);
  double warmup = f->warmup >= 0 ? f->warmup : f->interval + 0.5;
  uv_timer_start(&b.stop, bench_stop, (uint64_t)(warmup * 1000), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  double cpu0 = cpu_seconds(), wall0 = sw_mono_now();
  mscrape_stats st0 = {0};
  json_int_t hub_scrapes0 = 0;
  if (b.scraper)
    st0 = mscraper_stats(b.scraper);
  else
    hub_scrapes0 = hub_scrapes(b.hub, NULL);
  uv_timer_start(&b.stop, bench_stop, (uint64_t)(f->duration * 1000), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  double cpu = cpu_seconds() - cpu0, wall = sw_mono_now() - wall0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  json_t *out = json_pack("{s:s,s:I,s:f,s:f,s:f,s:f,s:I}", "mode", f->pods ? "hub" : "scraper", "targets",
                          (json_int_t)n, "interval", f->interval, "wall_seconds", wall, "cpu_seconds", cpu,
                          "cpu_per_wall_second", cpu / wall, "max_rss_kb", (json_int_t)ru.ru_maxrss);
  if (b.scraper) {
    mscrape_stats s = mscraper_stats(b.scraper);
    json_object_set_new(out, "scrapes", json_integer((json_int_t)(s.scrapes - st0.scrapes)));
    json_object_set_new(out, "failures", json_integer((json_int_t)(s.failures - st0.failures)));
    json_object_set_new(out, "samples", json_integer((json_int_t)(s.samples - st0.samples)));
  } else {
    size_t ok;
    json_int_t scrapes = hub_scrapes(b.hub, &ok);
    json_object_set_new(out, "scrapes", json_integer(scrapes - hub_scrapes0));
    json_object_set_new(out, "pods_ok_at_end", json_integer((json_int_t)ok));
  }
  char *dump = json_dumps(out, JSON_COMPACT);
  printf("%s\n", dump);
  free(dump);
  json_decref(out);
  if (f->pods) {
    plane_fini(&p);
    metrics_hub_free(b.hub);
  } else {
    mscraper_free(b.scraper);
    mcurl_free(m);
  }
  loop_finish(&loop);
  if (st) store_close(st);
  return 0;
}

int cmd_metrics(int argc, char **argv) {
  flags f;
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (parse_flags(argc, argv, &f) != 0) return 2;
  if (f.npos == 0) {
    usage(stderr);
    return 2;
  }
  const char *sub = f.pos[0];
  if (!strcmp(sub, "scrape")) return cmd_scrape(&f);
  if (!strcmp(sub, "query")) return cmd_query(&f);
  if (!strcmp(sub, "rules")) return cmd_rules(&f);
  if (!strcmp(sub, "bench")) return cmd_bench(&f);
  fprintf(stderr, "spillway metrics: unknown subcommand \"%s\" (scrape, query, rules or bench)\n", sub);
  return 2;
}
