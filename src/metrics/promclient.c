/*
 * promclient.c — Prometheus HTTP API client (see promclient.h).
 *
 * Discovery mirrors prometheus-adapter's series registry: for each rule,
 * GET /api/v1/series?match[]=<seriesQuery>&start=<now - max age>, apply
 * seriesFilters and name.matches/as, and map each resulting metric name to
 * the first (rule, series name) that produced it. Queries send the rule's
 * metricsQuery expanded for a namespace and a list of pods, and read each
 * pod's value from the sample whose pod label names it (the adapter's
 * GroupBy).
 */
#include "metrics/promclient.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/smap.h"

/* ---- pure parsing -------------------------------------------------------------- */

static int parse_envelope(const char *body, size_t len, long http_status, json_t **root, sw_err *err) {
  json_error_t je;
  *root = json_loadb(body, len, 0, &je);
  const char *status = json_string_value(json_object_get(*root, "status"));
  if (!*root || !status) {
    char snippet[120];
    size_t n = len < 100 ? len : 100;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) snippet[k++] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
    snippet[k] = 0;
    int rc = sw_err_set(err, SW_EINVAL, "HTTP %ld, not a Prometheus API answer (%s%s\"%s\")", http_status,
                        *root ? "no status field" : je.text, *root ? ": " : " in ", snippet);
    json_decref(*root);
    *root = NULL;
    return rc;
  }
  if (strcmp(status, "success") != 0 || http_status != 200) {
    const char *type = json_string_value(json_object_get(*root, "errorType"));
    const char *msg = json_string_value(json_object_get(*root, "error"));
    int rc = sw_err_set(err, SW_EINVAL, "HTTP %ld: %s: %s", http_status, type ? type : status,
                        msg ? msg : "no error text");
    json_decref(*root);
    *root = NULL;
    return rc;
  }
  return 0;
}

bool promclient_sample_value(const json_t *sample, double *value, double *timestamp) {
  const json_t *v = json_object_get(sample, "value");
  if (!json_is_array(v) || json_array_size(v) != 2) return false;
  const json_t *ts = json_array_get(v, 0);
  const char *s = json_string_value(json_array_get(v, 1));
  if (!json_is_number(ts) || !s) return false;
  if (!promtext_parse_float(s, strlen(s), value)) return false;
  if (timestamp) *timestamp = json_number_value(ts);
  return true;
}

int promclient_parse_query(const char *body, size_t len, long http_status, json_t **result, sw_err *err) {
  *result = NULL;
  json_t *root;
  if (parse_envelope(body, len, http_status, &root, err) != 0) return SW_EINVAL;
  json_t *data = json_object_get(root, "data");
  const char *type = json_string_value(json_object_get(data, "resultType"));
  json_t *res = json_object_get(data, "result");
  int rc = 0;
  if (type && !strcmp(type, "vector") && json_is_array(res)) {
    size_t i;
    json_t *s;
    json_array_foreach(res, i, s) {
      double v, t;
      if (!json_is_object(json_object_get(s, "metric")) || !promclient_sample_value(s, &v, &t)) {
        rc = sw_err_set(err, SW_EINVAL,
                        "result[%zu]: expected {\"metric\": {...}, \"value\": [time, \"number\"]}", i);
        break;
      }
    }
    if (rc == 0) *result = json_incref(res);
  } else if (type && !strcmp(type, "scalar") && json_is_array(res)) {
    json_t *one = json_pack("[{s:{},s:O}]", "metric", "value", res);
    double v;
    if (!one || !promclient_sample_value(json_array_get(one, 0), &v, NULL)) {
      json_decref(one);
      rc = sw_err_set(err, SW_EINVAL, "expected a scalar result [time, \"number\"]");
    } else {
      *result = one;
    }
  } else {
    rc = sw_err_set(err, SW_EINVAL, "expected an instant vector result, got resultType %s",
                    type ? type : "(none)");
  }
  json_decref(root);
  return rc;
}

int promclient_parse_series(const char *body, size_t len, long http_status, json_t **data, sw_err *err) {
  *data = NULL;
  json_t *root;
  if (parse_envelope(body, len, http_status, &root, err) != 0) return SW_EINVAL;
  json_t *d = json_object_get(root, "data");
  if (!json_is_array(d)) {
    json_decref(root);
    return sw_err_set(err, SW_EINVAL, "expected data to be a list of label sets");
  }
  *data = json_incref(d);
  json_decref(root);
  return 0;
}

/* ---- the source ------------------------------------------------------------------ */

typedef struct mapping {
  size_t rule;
  char *series;
} mapping;

typedef struct disc_req {
  promsource *ps;
  size_t rule;
  mcurl_req *req;
} disc_req;

typedef struct query_req {
  promsource *ps;
  char *query;
  size_t rule;
  promsource_cb cb;
  void *ud;
  mcurl_req *req;
  struct query_req *prev, *next;
} query_req;

struct promsource {
  mcurl *m;
  const char *url;
  const adapter_rules *rules;
  long timeout_ms;
  smap map;       /* metric -> mapping, from the last finished discovery */
  smap building;  /* during a discovery */
  disc_req *disc; /* one per rule while discovering */
  size_t disc_pending;
  bool discovered;
  char *disc_error; /* first failure of the last discovery */
  char *building_error;
  size_t *accepted; /* series per rule, last discovery */
  size_t *building_accepted;
  void (*done)(void *);
  void *done_ud;
  query_req *queries;
};

static void map_clear(smap *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (smap_live(m, i)) {
      mapping *x = m->slots[i].value;
      free(x->series);
      free(x);
    }
  smap_free(m);
  smap_init(m);
}

promsource *promsource_new(mcurl *m, const char *url, const adapter_rules *rules, double timeout) {
  promsource *ps = sw_xcalloc(1, sizeof *ps);
  ps->m = m;
  ps->url = url;
  ps->rules = rules;
  ps->timeout_ms = (long)((timeout > 0 ? timeout : 1) * 1000);
  smap_init(&ps->map);
  smap_init(&ps->building);
  ps->accepted = sw_xcalloc(rules->n ? rules->n : 1, sizeof *ps->accepted);
  ps->building_accepted = sw_xcalloc(rules->n ? rules->n : 1, sizeof *ps->building_accepted);
  return ps;
}

void promsource_free(promsource *ps) {
  if (!ps) return;
  if (ps->disc) {
    for (size_t i = 0; i < ps->rules->n; i++)
      if (ps->disc[i].req) mcurl_cancel(ps->disc[i].req);
    free(ps->disc);
  }
  while (ps->queries) {
    query_req *q = ps->queries;
    ps->queries = q->next;
    mcurl_cancel(q->req);
    free(q->query);
    free(q);
  }
  map_clear(&ps->map);
  map_clear(&ps->building);
  smap_free(&ps->map);
  smap_free(&ps->building);
  free(ps->disc_error);
  free(ps->building_error);
  free(ps->accepted);
  free(ps->building_accepted);
  free(ps);
}

const char *promsource_url(const promsource *ps) { return ps->url; }
bool promsource_discovered(const promsource *ps) { return ps->discovered; }
bool promsource_discovering(const promsource *ps) { return ps->disc != NULL; }

static void url_join(sw_buf *b, const char *base, const char *path) {
  size_t n = strlen(base);
  while (n && base[n - 1] == '/') n--;
  sw_buf_append(b, base, n);
  sw_buf_puts(b, path);
}

static void discovery_finished(promsource *ps) {
  free(ps->disc);
  ps->disc = NULL;
  map_clear(&ps->map);
  smap tmp = ps->map;
  ps->map = ps->building;
  ps->building = tmp;
  free(ps->disc_error);
  ps->disc_error = ps->building_error;
  ps->building_error = NULL;
  size_t *t = ps->accepted;
  ps->accepted = ps->building_accepted;
  ps->building_accepted = t;
  ps->discovered = true;
  if (ps->done) ps->done(ps->done_ud);
}

static void on_series(void *ud, const mcurl_result *r) {
  disc_req *d = ud;
  promsource *ps = d->ps;
  const adapter_rule *rule = &ps->rules->rules[d->rule];
  d->req = NULL;
  json_t *data = NULL;
  sw_err err;
  const char *fail = NULL;
  if (!r->ok)
    fail = r->error;
  else if (promclient_parse_series(r->body, r->len, r->http_status, &data, &err) != 0)
    fail = err.msg;
  if (fail) {
    if (!ps->building_error)
      ps->building_error = sw_xasprintf("Prometheus at %s did not answer series query \"%s\" (%s)", ps->url,
                                        rule->series_query, fail);
  } else if (rule->pod_label) {
    size_t i;
    json_t *labels;
    sw_buf name;
    sw_buf_init(&name);
    smap seen;
    smap_init(&seen);
    json_array_foreach(data, i, labels) {
      const char *sname = json_string_value(json_object_get(labels, "__name__"));
      if (!sname || smap_get(&seen, sname)) continue;
      smap_put(&seen, sname, (void *)1);
      if (!adapter_rule_filters_ok(rule, sname)) continue;
      ps->building_accepted[d->rule]++;
      sw_buf_reset(&name);
      if (!adapter_rule_name(rule, sname, &name) || !name.data || !name.data[0]) continue;
      mapping *x = smap_get(&ps->building, name.data);
      if (x && x->rule <= d->rule) continue; /* the first rule in file order wins */
      if (!x) {
        x = sw_xcalloc(1, sizeof *x);
        smap_put(&ps->building, name.data, x);
      } else {
        free(x->series);
      }
      x->rule = d->rule;
      x->series = sw_xstrdup(sname);
    }
    smap_free(&seen);
    sw_buf_free(&name);
  }
  json_decref(data);
  if (--ps->disc_pending == 0) discovery_finished(ps);
}

void promsource_discover(promsource *ps, double wall_now, double max_age, void (*done)(void *ud), void *ud) {
  if (ps->disc) return;
  ps->done = done;
  ps->done_ud = ud;
  map_clear(&ps->building);
  free(ps->building_error);
  ps->building_error = NULL;
  size_t n = ps->rules->n;
  memset(ps->building_accepted, 0, (n ? n : 1) * sizeof *ps->building_accepted);
  if (n == 0) {
    ps->disc = sw_xcalloc(1, sizeof *ps->disc);
    discovery_finished(ps);
    return;
  }
  ps->disc = sw_xcalloc(n, sizeof *ps->disc);
  ps->disc_pending = n;
  mcurl_opts o = {.timeout_ms = ps->timeout_ms, .max_body = 64u << 20, .accept = "application/json"};
  for (size_t i = 0; i < n; i++) {
    sw_buf u;
    sw_buf_init(&u);
    url_join(&u, ps->url, "/api/v1/series?match[]=");
    char *q;
    mcurl_escape(ps->rules->rules[i].series_query, &q);
    sw_buf_puts(&u, q);
    free(q);
    if (max_age > 0) sw_buf_printf(&u, "&start=%.3f", wall_now - max_age);
    ps->disc[i].ps = ps;
    ps->disc[i].rule = i;
    ps->disc[i].req = mcurl_get(ps->m, u.data, &o, on_series, &ps->disc[i]);
    sw_buf_free(&u);
  }
}

int promsource_lookup(const promsource *ps, const char *metric, size_t *rule, const char **series,
                      sw_err *err) {
  if (!ps->discovered) {
    return sw_err_set(err, SW_EUNAVAIL, "the first series discovery at Prometheus %s has not finished yet",
                      ps->url);
  }
  mapping *x = smap_get(&ps->map, metric);
  if (x) {
    *rule = x->rule;
    *series = x->series;
    return 0;
  }
  const adapter_rules *rs = ps->rules;
  sw_buf why;
  sw_buf_init(&why);
  if (ps->disc_error) sw_buf_printf(&why, "%s", ps->disc_error);
  for (size_t i = 0; i < rs->n && !why.len; i++) {
    const adapter_rule *r = &rs->rules[i];
    if (strchr(r->name_as, '$') || strcmp(r->name_as, metric) != 0) continue;
    if (!r->pod_label)
      sw_buf_printf(&why, "rule seriesQuery \"%s\" (%s:%zu) maps no label to pods", r->series_query,
                    rs->source, r->line);
    else if (!ps->accepted[i])
      sw_buf_printf(&why, "Prometheus at %s has no series matching rule seriesQuery \"%s\" (%s:%zu)", ps->url,
                    r->series_query, rs->source, r->line);
    else
      sw_buf_printf(&why,
                    "Prometheus at %s has %zu series matching rule seriesQuery \"%s\" (%s:%zu), but "
                    "name.matches \"%s\" does not match their names",
                    ps->url, ps->accepted[i], r->series_query, rs->source, r->line, r->name_matches);
  }
  if (!why.len) {
    sw_buf_printf(&why, "no rule gives the name \"%s\" to a series at Prometheus %s (rules tried:", metric,
                  ps->url);
    for (size_t i = 0; i < rs->n && i < 8; i++)
      sw_buf_printf(&why, "%s seriesQuery \"%s\" as \"%s\"", i ? ";" : "", rs->rules[i].series_query,
                    rs->rules[i].name_as);
    if (rs->n > 8) sw_buf_printf(&why, "; and %zu more", rs->n - 8);
    sw_buf_puts(&why, ")");
  }
  int rc = sw_err_set(err, ps->disc_error ? SW_EUNAVAIL : SW_ENOENT, "%s", why.data);
  sw_buf_free(&why);
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

json_t *promsource_names(const promsource *ps) {
  const char **list = sw_xcalloc(ps->map.len ? ps->map.len : 1, sizeof *list);
  size_t k = 0;
  for (size_t i = 0; i < ps->map.cap; i++)
    if (smap_live(&ps->map, i)) list[k++] = ps->map.slots[i].key;
  qsort(list, k, sizeof *list, cmp_str);
  json_t *a = json_array();
  for (size_t i = 0; i < k; i++) json_array_append_new(a, json_string(list[i]));
  free(list);
  return a;
}

static void on_query(void *ud, const mcurl_result *r) {
  query_req *q = ud;
  promsource *ps = q->ps;
  if (q->prev)
    q->prev->next = q->next;
  else
    ps->queries = q->next;
  if (q->next) q->next->prev = q->prev;
  json_t *result = NULL;
  sw_err err;
  const char *fail = NULL;
  if (!r->ok)
    fail = r->error;
  else if (promclient_parse_query(r->body, r->len, r->http_status, &result, &err) != 0)
    fail = err.msg;
  char *buf = NULL;
  promsource_answer a = {
      .query = q->query, .result = result, .pod_label = ps->rules->rules[q->rule].pod_label};
  if (fail) {
    buf = sw_xasprintf("Prometheus at %s did not answer query \"%s\" (%s)", ps->url, q->query, fail);
    a.error = buf;
  }
  q->cb(q->ud, &a);
  free(buf);
  json_decref(result);
  free(q->query);
  free(q);
}

int promsource_query(promsource *ps, size_t rule, const char *series, const char *ns, const char *const *pods,
                     size_t n_pods, const json_t *metric_selector, promsource_cb cb, void *ud, sw_err *err) {
  const adapter_rule *r = &ps->rules->rules[rule];
  char *query = adapter_rule_query(r, series, ns, pods, n_pods, metric_selector, err);
  if (!query) return err ? err->code : SW_EINVAL;
  query_req *q = sw_xcalloc(1, sizeof *q);
  q->ps = ps;
  q->query = query;
  q->rule = rule;
  q->cb = cb;
  q->ud = ud;
  q->next = ps->queries;
  if (ps->queries) ps->queries->prev = q;
  ps->queries = q;
  sw_buf u;
  sw_buf_init(&u);
  url_join(&u, ps->url, "/api/v1/query?query=");
  char *e;
  mcurl_escape(query, &e);
  sw_buf_puts(&u, e);
  free(e);
  mcurl_opts o = {.timeout_ms = ps->timeout_ms, .max_body = 64u << 20, .accept = "application/json"};
  q->req = mcurl_get(ps->m, u.data, &o, on_query, q);
  sw_buf_free(&u);
  return 0;
}

bool promsource_answer_pod(const promsource_answer *a, const char *pod, double *value, double *timestamp) {
  if (!a->result) return false;
  size_t i;
  json_t *s;
  json_array_foreach(a->result, i, s) {
    const json_t *metric = json_object_get(s, "metric");
    const char *p = a->pod_label ? json_string_value(json_object_get(metric, a->pod_label)) : NULL;
    /* a result without the pod label (a query that aggregated it away)
     * answers for every pod only when it is the single sample */
    if ((p && strcmp(p, pod) == 0) || (!p && json_array_size(a->result) == 1))
      return promclient_sample_value(s, value, timestamp);
  }
  return false;
}
