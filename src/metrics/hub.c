/*
 * hub.c — the metrics hub (see hub.h): keeps the scraper's targets equal to
 * the scrapable pods (a store watch, plus one list at start), ticks the
 * scraper every interval, resolves metric names with the adapter rules and
 * answers queries from the pod's samples or from Prometheus.
 *
 * Caches: per pod and (metric, selector), the resolved rule, series, the
 * expanded query and its parsed form, invalidated when the pod's series set
 * changes (msamples_generation); per (metric, namespace, selector), the last
 * Prometheus answer, refreshed every interval while someone keeps asking
 * (dropped after two minutes without a question).
 */
#include "metrics/hub.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/adapter.h"
#include "metrics/mcurl.h"
#include "metrics/promclient.h"
#include "metrics/promql.h"
#include "metrics/scraper.h"
#include "metrics/smap.h"

typedef struct cached {
  uint64_t gen;
  int rc;
  char *error; /* resolution failure, without the "no metric ... for pod ...: " prefix */
  size_t rule;
  char *series;
  char *query;
  promql_expr *expr;
} cached;

typedef struct hub_pod {
  char *ns, *name, *uid;
  json_t *labels;
  bool scraped;
  char *reason; /* why it is not scraped */
  char *url;
  smap cache; /* metric "\x1f" selector -> cached */
  uint64_t names_gen;
  json_t *names;
} hub_pod;

typedef struct qentry {
  struct metrics_hub *h;
  char *key;
  char *metric, *ns;
  json_t *selector;
  double last_asked;
  bool in_flight;
  bool have;
  char *error;
  char *query;
  char *pod_label;
  json_t *result;
  size_t rule;
} qentry;

struct metrics_hub {
  plane *p;
  metrics_hub_opts o;
  char *prom_url;
  adapter_rules *rules;
  mcurl *curl;
  mscraper *scraper;
  smap pods; /* "ns/name" -> hub_pod */
  int watch;
  promsource *prom;
  double last_discovery;
  smap queries; /* key -> qentry */
};

#define DISCOVERY_PERIOD 30.0 /* clock s between Prometheus series discoveries */
#define QUERY_IDLE_DROP 120.0 /* clock s a cached query lives without questions */

/* ---- which pods, where ---------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

int metrics_pod_scrape_url(const json_t *pod, char **url, char **reason) {
  *url = NULL;
  *reason = NULL;
  const json_t *md = json_object_get(pod, "metadata");
  const json_t *ann = json_object_get(md, "annotations");
  const json_t *st = json_object_get(pod, "status");
  const char *scrape = jstr(ann, "prometheus.io/scrape");
  if (!scrape || strcmp(scrape, "true") != 0) {
    *reason = sw_xstrdup("it is not annotated prometheus.io/scrape: \"true\"");
    return SW_ENOENT;
  }
  const json_t *del = json_object_get(md, "deletionTimestamp");
  if (del && !json_is_null(del)) {
    *reason = sw_xstrdup("it is terminating");
    return SW_ENOENT;
  }
  bool ready = false;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(st, "conditions"), i, c) {
    const char *type = jstr(c, "type"), *status = jstr(c, "status");
    if (type && status && !strcmp(type, "Ready") && !strcmp(status, "True")) ready = true;
  }
  if (!ready) {
    *reason = sw_xstrdup("it is not Ready");
    return SW_ENOENT;
  }
  const char *ip = jstr(st, "podIP");
  if (!ip || !*ip) {
    *reason = sw_xstrdup("it has no status.podIP yet");
    return SW_ENOENT;
  }
  /* the port: annotation, else the first declared containerPort, else 80
   * (what the usual kubernetes-pods relabelling does) */
  char port[32];
  const char *ap = jstr(ann, "prometheus.io/port");
  if (ap && *ap) {
    snprintf(port, sizeof port, "%s", ap);
  } else {
    json_int_t cp = 80;
    json_t *ctr = json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
    json_t *p0 = json_array_get(json_object_get(ctr, "ports"), 0);
    if (json_is_integer(json_object_get(p0, "containerPort")))
      cp = json_integer_value(json_object_get(p0, "containerPort"));
    snprintf(port, sizeof port, "%lld", (long long)cp);
  }
  for (const char *q = port; *q; q++)
    if (*q < '0' || *q > '9') {
      *reason = sw_xasprintf("its prometheus.io/port annotation \"%s\" is not a port number", port);
      return SW_ENOENT;
    }
  const json_t *mapped = json_object_get(json_object_get(st, "portMap"), port);
  if (json_is_integer(mapped))
    snprintf(port, sizeof port, "%lld", (long long)json_integer_value(mapped));
  else if (json_is_string(mapped))
    snprintf(port, sizeof port, "%s", json_string_value(mapped));
  const char *path = jstr(ann, "prometheus.io/path");
  if (!path || !*path) path = "/metrics";
  const char *scheme = jstr(ann, "prometheus.io/scheme");
  if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) scheme = "http";
  bool v6 = strchr(ip, ':') != NULL;
  *url = sw_xasprintf("%s://%s%s%s:%s%s%s", scheme, v6 ? "[" : "", ip, v6 ? "]" : "", port,
                      path[0] == '/' ? "" : "/", path);
  return 0;
}

/* ---- pods ----------------------------------------------------------------------- */

static void cached_free(cached *c) {
  free(c->error);
  free(c->series);
  free(c->query);
  promql_free(c->expr);
  free(c);
}

static void pod_cache_clear(hub_pod *hp) {
  for (size_t i = 0; i < hp->cache.cap; i++)
    if (smap_live(&hp->cache, i)) cached_free(hp->cache.slots[i].value);
  smap_free(&hp->cache);
  smap_init(&hp->cache);
  json_decref(hp->names);
  hp->names = NULL;
}

static void pod_free(hub_pod *hp) {
  pod_cache_clear(hp);
  free(hp->ns);
  free(hp->name);
  free(hp->uid);
  free(hp->reason);
  free(hp->url);
  json_decref(hp->labels);
  free(hp);
}

static void pod_key(char *buf, size_t n, const char *ns, const char *name) {
  snprintf(buf, n, "%s/%s", ns, name);
}

static void pod_upsert(metrics_hub *h, const json_t *obj) {
  const json_t *md = json_object_get(obj, "metadata");
  const char *ns = jstr(md, "namespace"), *name = jstr(md, "name"), *uid = jstr(md, "uid");
  if (!name) return;
  if (!ns) ns = "";
  char key[600];
  pod_key(key, sizeof key, ns, name);
  hub_pod *hp = smap_get(&h->pods, key);
  if (hp && uid && hp->uid && strcmp(uid, hp->uid) != 0) { /* a new pod under an old name */
    mscraper_remove(h->scraper, key);
    smap_del(&h->pods, key);
    pod_free(hp);
    hp = NULL;
  }
  if (!hp) {
    hp = sw_xcalloc(1, sizeof *hp);
    hp->ns = sw_xstrdup(ns);
    hp->name = sw_xstrdup(name);
    hp->uid = uid ? sw_xstrdup(uid) : NULL;
    smap_init(&hp->cache);
    smap_put(&h->pods, key, hp);
  }
  json_decref(hp->labels);
  const json_t *labels = json_object_get(md, "labels");
  hp->labels = labels ? json_deep_copy(labels) : json_object();
  char *url, *reason;
  free(hp->reason);
  hp->reason = NULL;
  if (metrics_pod_scrape_url(obj, &url, &reason) == 0) {
    if (!hp->url || strcmp(hp->url, url) != 0) pod_cache_clear(hp);
    free(hp->url);
    hp->url = url;
    hp->scraped = true;
    mscrape_target *t = mscraper_set(h->scraper, key, url);
    if (msamples_scrapes(mscrape_target_samples(t)) == 0) mscraper_scrape(h->scraper, t); /* new: now */
  } else {
    if (hp->scraped) SW_DEBUG("metrics", "stop scraping %s: %s", key, reason);
    hp->scraped = false;
    hp->reason = reason;
    mscraper_remove(h->scraper, key);
    pod_cache_clear(hp);
  }
}

static void pod_remove(metrics_hub *h, const json_t *obj) {
  const json_t *md = json_object_get(obj, "metadata");
  const char *ns = jstr(md, "namespace"), *name = jstr(md, "name");
  if (!name) return;
  char key[600];
  pod_key(key, sizeof key, ns ? ns : "", name);
  mscraper_remove(h->scraper, key);
  hub_pod *hp = smap_del(&h->pods, key);
  if (hp) pod_free(hp);
}

static void on_pod_event(void *ud, store_event_type type, const json_t *obj) {
  metrics_hub *h = ud;
  if (type == STORE_DELETED)
    pod_remove(h, obj);
  else
    pod_upsert(h, obj);
}

/* ---- Prometheus source: cached queries ------------------------------------------ */

static void qentry_free(qentry *q) {
  free(q->key);
  free(q->metric);
  free(q->ns);
  json_decref(q->selector);
  free(q->error);
  free(q->query);
  free(q->pod_label);
  json_decref(q->result);
  free(q);
}

static void on_query_answer(void *ud, const promsource_answer *a) {
  qentry *q = ud;
  q->in_flight = false;
  q->have = true;
  free(q->error);
  q->error = a->error ? sw_xstrdup(a->error) : NULL;
  free(q->query);
  q->query = sw_xstrdup(a->query);
  free(q->pod_label);
  q->pod_label = a->pod_label ? sw_xstrdup(a->pod_label) : NULL;
  json_decref(q->result);
  q->result = a->result ? json_incref((json_t *)a->result) : NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void qentry_refresh(metrics_hub *h, qentry *q) {
  size_t rule;
  const char *series;
  sw_err err;
  if (promsource_lookup(h->prom, q->metric, &rule, &series, &err) != 0) return; /* answered at query time */
  const char **pods = sw_xcalloc(h->pods.len ? h->pods.len : 1, sizeof *pods);
  size_t n = 0;
  for (size_t i = 0; i < h->pods.cap; i++)
    if (smap_live(&h->pods, i)) {
      hub_pod *hp = h->pods.slots[i].value;
      if (!strcmp(hp->ns, q->ns)) pods[n++] = hp->name;
    }
  qsort(pods, n, sizeof *pods, cmp_str);
  if (n &&
      promsource_query(h->prom, rule, series, q->ns, pods, n, q->selector, on_query_answer, q, &err) == 0) {
    q->in_flight = true;
    q->rule = rule;
  } else if (n) {
    free(q->error);
    q->error = sw_xstrdup(err.msg);
    q->have = true;
  }
  free(pods);
}

static void prom_sync(metrics_hub *h, double now) {
  if (!promsource_discovering(h->prom) &&
      (!promsource_discovered(h->prom) || now - h->last_discovery >= DISCOVERY_PERIOD)) {
    h->last_discovery = now;
    promsource_discover(h->prom, sw_wall_now(), 600, NULL, NULL);
  }
  for (size_t i = 0; i < h->queries.cap; i++) {
    if (!smap_live(&h->queries, i)) continue;
    qentry *q = h->queries.slots[i].value;
    if (now - q->last_asked > QUERY_IDLE_DROP && !q->in_flight) {
      smap_del(&h->queries, q->key);
      qentry_free(q);
      continue;
    }
    if (!q->in_flight && promsource_discovered(h->prom)) qentry_refresh(h, q);
  }
}

/* ---- lifecycle -------------------------------------------------------------------- */

void metrics_hub_sync(metrics_hub *h) {
  mscraper_tick(h->scraper);
  if (h->prom) prom_sync(h, plane_now(h->p));
}

static void controller_sync(void *self, plane *p, double now) { metrics_hub_sync(self); }

metrics_hub *metrics_hub_new(plane *p, const metrics_hub_opts *o, json_t *warnings, sw_err *err) {
  metrics_hub *h = sw_xcalloc(1, sizeof *h);
  h->p = p;
  if (o) h->o = *o;
  if (h->o.interval <= 0) h->o.interval = 1;
  if (h->o.timeout <= 0) h->o.timeout = 1;
  if (!h->o.history) h->o.history = 60;
  if (h->o.lookback <= 0) h->o.lookback = 300;
  h->o.rules_file = NULL;
  h->o.prometheus_url = NULL;
  if (o && o->rules_file) {
    if (adapter_rules_load(o->rules_file, &h->rules, warnings, err) != 0) {
      free(h);
      return NULL;
    }
  } else {
    h->rules = adapter_rules_default();
  }
  h->curl = mcurl_new(p->loop);
  mscraper_opts so = {.timeout = h->o.timeout, .history = h->o.history};
  h->scraper = mscraper_new(h->curl, &p->clock, &so);
  smap_init(&h->pods);
  smap_init(&h->queries);
  if (o && o->prometheus_url && *o->prometheus_url) {
    h->prom_url = sw_xstrdup(o->prometheus_url);
    h->prom = promsource_new(h->curl, h->prom_url, h->rules, h->o.timeout);
  }
  json_t *pods = store_list(p->store, "Pod", NULL);
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) pod_upsert(h, pod);
  json_decref(pods);
  h->watch = store_watch(p->store, "Pod", on_pod_event, h);
  p->metrics = h;
  plane_add_controller(p, "metrics", h->o.interval, controller_sync, h);
  SW_INFO("metrics", "scraping %zu pod(s) every %g s, rules: %s%s%s", mscraper_count(h->scraper),
          h->o.interval, h->rules->source, h->prom_url ? ", queries: Prometheus at " : "",
          h->prom_url ? h->prom_url : "");
  return h;
}

void metrics_hub_free(metrics_hub *h) {
  if (!h) return;
  store_unwatch(h->p->store, h->watch);
  if (h->p->metrics == h) h->p->metrics = NULL;
  for (size_t i = 0; i < h->queries.cap; i++)
    if (smap_live(&h->queries, i)) qentry_free(h->queries.slots[i].value);
  smap_free(&h->queries);
  promsource_free(h->prom);
  mscraper_free(h->scraper);
  for (size_t i = 0; i < h->pods.cap; i++)
    if (smap_live(&h->pods, i)) pod_free(h->pods.slots[i].value);
  smap_free(&h->pods);
  mcurl_free(h->curl);
  adapter_rules_free(h->rules);
  free(h->prom_url);
  free(h);
}

/* ---- queries ---------------------------------------------------------------------- */

static char *cache_key(const char *metric, const json_t *sel) {
  char *s = sel && !json_is_null(sel) ? json_dumps(sel, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  char *k = sw_xasprintf("%s\x1f%s", metric, s ? s : "");
  free(s);
  return k;
}

/* Resolution and parsed query for (pod, metric, selector), rebuilt when the
 * pod's series set changed. */
static cached *resolve(metrics_hub *h, hub_pod *hp, const msamples *s, const char *metric,
                       const json_t *sel) {
  char *key = cache_key(metric, sel);
  cached *c = smap_get(&hp->cache, key);
  uint64_t gen = msamples_generation(s);
  if (c && c->gen == gen) {
    free(key);
    return c;
  }
  if (!c) {
    c = sw_xcalloc(1, sizeof *c);
    smap_put(&hp->cache, key, c);
  } else {
    free(c->error);
    free(c->series);
    free(c->query);
    promql_free(c->expr);
    c->error = c->series = c->query = NULL;
    c->expr = NULL;
  }
  free(key);
  c->gen = gen;
  sw_err err;
  sw_buf series;
  sw_buf_init(&series);
  c->rc = adapter_resolve(h->rules, metric, s, hp->ns, hp->name, &c->rule, &series, &err);
  if (c->rc != 0) {
    c->error = sw_xasprintf("scraped %zu series from %s, but %s", msamples_n_series(s), hp->url, err.msg);
    sw_buf_free(&series);
    return c;
  }
  c->series = sw_buf_steal(&series);
  const adapter_rule *r = &h->rules->rules[c->rule];
  if (r->scrape_error) {
    c->rc = SW_ENOENT;
    c->error = sw_xasprintf("series %s answers it by rule %s:%zu, but that rule's %s", c->series,
                            h->rules->source, r->line, r->scrape_error);
    return c;
  }
  const char *pods[] = {hp->name};
  c->query = adapter_rule_query(r, c->series, hp->ns, pods, 1, sel, &err);
  if (!c->query || promql_parse(c->query, &c->expr, &err) != 0) {
    c->rc = SW_EINVAL;
    c->error = sw_xasprintf("series %s answers it by rule %s:%zu, but its query %s%s%sdoes not work: %s",
                            c->series, h->rules->source, r->line, c->query ? "\"" : "",
                            c->query ? c->query : "", c->query ? "\" " : "", err.msg);
  }
  return c;
}

static int pod_metric_scraped(metrics_hub *h, hub_pod *hp, const char *metric, const json_t *sel,
                              double *value, double *timestamp, double *window, sw_err *err) {
  char key[600];
  pod_key(key, sizeof key, hp->ns, hp->name);
  const mscrape_target *t = mscraper_get(h->scraper, key);
  const msamples *s = t ? mscrape_target_samples(t) : NULL;
  const char *pfx = "no metric";
  if (!s || msamples_scrapes(s) == 0)
    return sw_err_set(err, SW_EUNAVAIL, "%s \"%s\" for pod %s: the first scrape of %s has not finished yet",
                      pfx, metric, key, hp->url);
  if (!msamples_last_ok(s))
    return sw_err_set(err, SW_EUNAVAIL, "%s \"%s\" for pod %s: the pod's last scrape of %s failed (%s)", pfx,
                      metric, key, hp->url, mscrape_target_error(t));
  cached *c = resolve(h, hp, s, metric, sel);
  if (c->rc != 0) return sw_err_set(err, c->rc, "%s \"%s\" for pod %s: %s", pfx, metric, key, c->error);
  const adapter_rule *r = &h->rules->rules[c->rule];
  promtext_label target[6];
  size_t nt = adapter_target_labels(r, hp->ns, hp->name, target);
  promql_result res;
  sw_err e;
  double now = plane_now(h->p);
  double last = msamples_last_time(s);
  if (last > now) now = last;
  if (promql_eval(c->expr, s, target, nt, now, h->o.lookback, &res, &e) != 0)
    return sw_err_set(err, SW_EINVAL, "%s \"%s\" for pod %s: evaluating \"%s\": %s", pfx, metric, key,
                      c->query, e.msg);
  bool found = false;
  if (res.is_scalar) {
    *value = res.scalar;
    found = true;
  }
  for (size_t i = 0; i < res.n && !found; i++) {
    const char *p = NULL;
    for (size_t k = 0; k < res.elems[i].n_labels; k++)
      if (!strcmp(res.elems[i].labels[k].name, r->pod_label)) p = res.elems[i].labels[k].value;
    if ((p && !strcmp(p, hp->name)) || (!p && res.n == 1)) {
      *value = res.elems[i].value;
      found = true;
    }
  }
  int rc = 0;
  if (!found) {
    rc = sw_err_set(err, SW_ENOENT,
                    "%s \"%s\" for pod %s: query \"%s\" over the %zu series scraped from %s gave no "
                    "value for the pod%s%s",
                    pfx, metric, key, c->query, msamples_n_series(s), hp->url, res.why[0] ? ": " : "",
                    res.why);
  } else if (!isfinite(*value)) {
    /* a Kubernetes quantity cannot hold it, and no replica count follows from it */
    rc = sw_err_set(err, SW_ENOENT,
                    "%s \"%s\" for pod %s: query \"%s\" gave %s for the pod (for a histogram_quantile: no "
                    "observations in the window)",
                    pfx, metric, key, c->query,
                    isnan(*value) ? "NaN"
                    : *value > 0  ? "+Inf"
                                  : "-Inf");
  } else {
    *timestamp = msamples_last_time(s);
    *window = r->window;
  }
  promql_result_free(&res);
  return rc;
}

static int pod_metric_prometheus(metrics_hub *h, hub_pod *hp, const char *metric, const json_t *sel,
                                 double *value, double *timestamp, double *window, sw_err *err) {
  char key[600];
  pod_key(key, sizeof key, hp->ns, hp->name);
  size_t rule;
  const char *series;
  sw_err e;
  int rc = promsource_lookup(h->prom, metric, &rule, &series, &e);
  if (rc != 0) return sw_err_set(err, rc, "no metric \"%s\" for pod %s: %s", metric, key, e.msg);
  char *base = cache_key(metric, sel);
  char *qkey = sw_xasprintf("%s\x1f%s", base, hp->ns);
  free(base);
  qentry *q = smap_get(&h->queries, qkey);
  double now = plane_now(h->p);
  if (!q) {
    q = sw_xcalloc(1, sizeof *q);
    q->h = h;
    q->key = qkey;
    q->metric = sw_xstrdup(metric);
    q->ns = sw_xstrdup(hp->ns);
    q->selector = sel && !json_is_null(sel) ? json_deep_copy(sel) : NULL;
    smap_put(&h->queries, qkey, q);
    q->last_asked = now;
    qentry_refresh(h, q); /* starts now; the answer arrives on a later loop turn */
  } else {
    free(qkey);
  }
  q->last_asked = now;
  if (!q->have)
    return sw_err_set(err, SW_EUNAVAIL,
                      "no metric \"%s\" for pod %s: the query to Prometheus at %s has not answered yet",
                      metric, key, h->prom_url);
  if (q->error) return sw_err_set(err, SW_EUNAVAIL, "no metric \"%s\" for pod %s: %s", metric, key, q->error);
  promsource_answer a = {.query = q->query, .result = q->result, .pod_label = q->pod_label};
  if (!promsource_answer_pod(&a, hp->name, value, timestamp))
    return sw_err_set(err, SW_ENOENT,
                      "no metric \"%s\" for pod %s: Prometheus at %s answered query \"%s\" with no "
                      "sample whose %s is \"%s\"",
                      metric, key, h->prom_url, q->query, q->pod_label ? q->pod_label : "pod label",
                      hp->name);
  if (!isfinite(*value))
    return sw_err_set(err, SW_ENOENT,
                      "no metric \"%s\" for pod %s: Prometheus at %s answered query \"%s\" with %s", metric,
                      key, h->prom_url, q->query,
                      isnan(*value) ? "NaN"
                      : *value > 0  ? "+Inf"
                                    : "-Inf");
  *window = h->rules->rules[q->rule].window;
  return 0;
}

int metrics_hub_pod_metric(metrics_hub *h, const char *ns, const char *pod, const char *metric,
                           const json_t *metric_selector, double *value, double *timestamp, double *window,
                           sw_err *err) {
  char key[600];
  pod_key(key, sizeof key, ns, pod);
  hub_pod *hp = smap_get(&h->pods, key);
  double v = 0, ts = 0, w = 0;
  int rc;
  if (!hp) {
    rc = sw_err_set(err, SW_ENOENT, "no metric \"%s\" for pod %s: there is no such pod", metric, key);
  } else if (h->prom) {
    rc = pod_metric_prometheus(h, hp, metric, metric_selector, &v, &ts, &w, err);
  } else if (!hp->scraped) {
    rc = sw_err_set(err, SW_ENOENT, "no metric \"%s\" for pod %s: the pod is not scraped (%s)", metric, key,
                    hp->reason ? hp->reason : "unknown reason");
  } else {
    rc = pod_metric_scraped(h, hp, metric, metric_selector, &v, &ts, &w, err);
  }
  if (rc == 0) {
    if (value) *value = v;
    if (timestamp) *timestamp = ts;
    if (window) *window = w;
  }
  return rc;
}

int metrics_hub_pod_gauge(metrics_hub *h, const char *ns, const char *pod, const char *series,
                          double *value) {
  char key[600];
  pod_key(key, sizeof key, ns, pod);
  const mscrape_target *t = mscraper_get(h->scraper, key);
  if (!t || !msamples_latest_sum(mscrape_target_samples(t), series, value)) return SW_ENOENT;
  return 0;
}

json_t *metrics_hub_metric_names(metrics_hub *h) {
  if (h->prom) return promsource_names(h->prom);
  smap all;
  smap_init(&all);
  for (size_t i = 0; i < h->pods.cap; i++) {
    if (!smap_live(&h->pods, i)) continue;
    hub_pod *hp = h->pods.slots[i].value;
    const mscrape_target *t = hp->scraped ? mscraper_get(h->scraper, h->pods.slots[i].key) : NULL;
    if (!t) continue;
    const msamples *s = mscrape_target_samples(t);
    if (!hp->names || hp->names_gen != msamples_generation(s)) {
      json_decref(hp->names);
      hp->names = adapter_names(h->rules, s, hp->ns, hp->name);
      hp->names_gen = msamples_generation(s);
    }
    size_t k;
    json_t *n;
    json_array_foreach(hp->names, k, n) smap_put(&all, json_string_value(n), (void *)1);
  }
  const char **list = sw_xcalloc(all.len ? all.len : 1, sizeof *list);
  size_t k = 0;
  for (size_t i = 0; i < all.cap; i++)
    if (smap_live(&all, i)) list[k++] = all.slots[i].key;
  qsort(list, k, sizeof *list, cmp_str);
  json_t *arr = json_array();
  for (size_t i = 0; i < k; i++) json_array_append_new(arr, json_string(list[i]));
  free(list);
  smap_free(&all);
  return arr;
}

static int cmp_pod(const void *a, const void *b) {
  const hub_pod *x = *(hub_pod *const *)a, *y = *(hub_pod *const *)b;
  int c = strcmp(x->ns, y->ns);
  return c ? c : strcmp(x->name, y->name);
}

static hub_pod **sorted_pods(metrics_hub *h, const char *ns, size_t *n) {
  hub_pod **v = sw_xcalloc(h->pods.len ? h->pods.len : 1, sizeof *v);
  size_t k = 0;
  for (size_t i = 0; i < h->pods.cap; i++)
    if (smap_live(&h->pods, i)) {
      hub_pod *hp = h->pods.slots[i].value;
      if (!ns || !strcmp(hp->ns, ns)) v[k++] = hp;
    }
  qsort(v, k, sizeof *v, cmp_pod);
  *n = k;
  return v;
}

json_t *metrics_hub_status(metrics_hub *h) {
  size_t n;
  hub_pod **v = sorted_pods(h, NULL, &n);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    hub_pod *hp = v[i];
    char key[600];
    pod_key(key, sizeof key, hp->ns, hp->name);
    json_t *o = json_pack("{s:s,s:s,s:b}", "namespace", hp->ns, "name", hp->name, "scraped", hp->scraped);
    if (!hp->scraped) {
      json_object_set_new(o, "reason", json_string(hp->reason ? hp->reason : ""));
    } else {
      const mscrape_target *t = mscraper_get(h->scraper, key);
      const msamples *s = mscrape_target_samples(t);
      char ts[32] = "";
      if (msamples_scrapes(s)) sw_time_format(msamples_last_time(s), ts, sizeof ts);
      json_object_set_new(o, "url", json_string(hp->url));
      json_object_set_new(o, "lastError", json_string(mscrape_target_error(t)));
      json_object_set_new(o, "series", json_integer((json_int_t)msamples_n_series(s)));
      json_object_set_new(o, "scrapes", json_integer((json_int_t)msamples_scrapes(s)));
      json_object_set_new(o, "lastScrape", ts[0] ? json_string(ts) : json_null());
    }
    json_array_append_new(arr, o);
  }
  free(v);
  return arr;
}

json_t *metrics_hub_pods(metrics_hub *h, const char *ns) {
  size_t n;
  hub_pod **v = sorted_pods(h, ns, &n);
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_pack("{s:s,s:O}", "name", v[i]->name, "labels", v[i]->labels));
  free(v);
  return arr;
}

void metrics_quantity(double v, char *buf, size_t n) {
  if (isnan(v)) {
    snprintf(buf, n, "NaN");
    return;
  }
  double milli = v * 1000.0;
  long long m = milli >= 9.2e18    ? 9200000000000000000LL
                : milli <= -9.2e18 ? -9200000000000000000LL
                                   : (long long)milli;
  int exp = -3;
  while (m != 0 && m % 1000 == 0 && exp < 18) {
    m /= 1000;
    exp += 3;
  }
  if (m == 0) {
    snprintf(buf, n, "0");
    return;
  }
  static const char *const suffix[] = {"m", "", "k", "M", "G", "T", "P", "E"};
  snprintf(buf, n, "%lld%s", m, suffix[(exp + 3) / 3]);
}
