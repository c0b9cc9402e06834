/*
 * adapter.c — prometheus-adapter rules (see adapter.h): YAML loading with
 * libyaml's document API (node marks give every error its line), the
 * adapter's defaults for name.as and resource labels, Go-template expansion
 * of metricsQuery, and series -> metric-name resolution over a pod's store.
 *
 * Behaviour reproduced from kubernetes-sigs/prometheus-adapter
 * (pkg/naming): name.matches is an unanchored regex and `as` defaults to
 * "$0" without capture groups and "$1" with one; seriesFilters is/isNot are
 * unanchored; LabelMatchers is the namespace matcher, then the resource
 * matcher (= for one name, =~ joined by | for several), then the metric
 * selector; GroupBy is the resource label.
 */
#include "metrics/adapter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "metrics/smap.h"

static const char default_rules[] =
    "# spillway's built-in prometheus-adapter rules, used when no rules file is given.\n"
    "rules:\n"
    "# Every vLLM series vllm:X answers X (vllm:num_requests_waiting -> num_requests_waiting).\n"
    "- seriesQuery: '{__name__=~\"vllm:.+\"}'\n"
    "  resources:\n"
    "    overrides:\n"
    "      namespace: {resource: \"namespace\"}\n"
    "      pod: {resource: \"pod\"}\n"
    "  name:\n"
    "    matches: '^vllm:(.+)$'\n"
    "    as: '${1}'\n"
    "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'\n"
    "# Every series answers its own name (vllm:num_requests_waiting, DCGM_FI_DEV_GPU_UTIL,\n"
    "# DCGM_CUSTOM_PROCESS_SM_UTIL, ...).\n"
    "- seriesQuery: '{__name__=~\".+\"}'\n"
    "  resources:\n"
    "    overrides:\n"
    "      namespace: {resource: \"namespace\"}\n"
    "      pod: {resource: \"pod\"}\n"
    "  name:\n"
    "    matches: '^(.+)$'\n"
    "    as: '${1}'\n"
    "  metricsQuery: 'sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>)'\n"
    "# Counters asked by their rate name: vllm:X_total answers X, Y_total answers Y, as the\n"
    "# per-second rate over 1m (the adapter's default convention for *_total).\n"
    "- seriesQuery: '{__name__=~\"vllm:.+_total\"}'\n"
    "  resources:\n"
    "    overrides:\n"
    "      namespace: {resource: \"namespace\"}\n"
    "      pod: {resource: \"pod\"}\n"
    "  name:\n"
    "    matches: '^vllm:(.+)_total$'\n"
    "    as: '${1}'\n"
    "  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)'\n"
    "- seriesQuery: '{__name__=~\".+_total\"}'\n"
    "  resources:\n"
    "    overrides:\n"
    "      namespace: {resource: \"namespace\"}\n"
    "      pod: {resource: \"pod\"}\n"
    "  name:\n"
    "    matches: '^(.+)_total$'\n"
    "    as: '${1}'\n"
    "  metricsQuery: 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)'\n";

const char *adapter_default_rules_yaml(void) { return default_rules; }

static void rule_free(adapter_rule *r) {
  free(r->series_query);
  promql_free(r->series_sel);
  for (size_t i = 0; i < r->n_filters; i++) mregex_free(&r->filters[i]);
  free(r->filters);
  free(r->filter_is);
  free(r->ns_label);
  free(r->pod_label);
  free(r->name_matches);
  mregex_free(&r->name_re);
  free(r->name_as);
  free(r->metrics_query);
  free(r->scrape_error);
}

void adapter_rules_free(adapter_rules *r) {
  if (!r) return;
  for (size_t i = 0; i < r->n; i++) rule_free(&r->rules[i]);
  free(r->rules);
  free(r->source);
  free(r);
}

/* ---- YAML helpers ------------------------------------------------------------ */

typedef struct {
  yaml_document_t *doc;
  const char *file;
  sw_err *err;
  json_t *warnings;
} yctx;

static size_t yline(const yaml_node_t *n) { return n->start_mark.line + 1; }

static const char *ytype(const yaml_node_t *n) {
  return n->type == YAML_MAPPING_NODE ? "a mapping" : n->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar";
}

static int yfail(yctx *c, const yaml_node_t *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int yfail(yctx *c, const yaml_node_t *n, const char *path, const char *fmt, ...) {
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return sw_err_set(c->err, SW_EINVAL, "%s:%zu: %s: %s", c->file, n ? yline(n) : 1, path, msg);
}

static void ywarn(yctx *c, const yaml_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ywarn(yctx *c, const yaml_node_t *n, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char line[700];
  snprintf(line, sizeof line, "%s:%zu: %s", c->file, yline(n), msg);
  if (c->warnings) json_array_append_new(c->warnings, json_string(line));
}

static const char *yscalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *ymap_get(yctx *c, yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    const char *k = yscalar(yaml_document_get_node(c->doc, p->key));
    if (k && strcmp(k, key) == 0) return yaml_document_get_node(c->doc, p->value);
  }
  return NULL;
}

static void ywarn_unknown(yctx *c, yaml_node_t *map, const char *path, const char *const *known) {
  if (!map || map->type != YAML_MAPPING_NODE) return;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
    const char *k = yscalar(kn);
    bool ok = false;
    for (size_t i = 0; known[i]; i++)
      if (k && strcmp(k, known[i]) == 0) ok = true;
    if (!ok) ywarn(c, kn, "unknown field %s.%s (ignored)", path, k ? k : "?");
  }
}

/* A string field: required or optional. *out NULL when absent and optional. */
static int ystring(yctx *c, yaml_node_t *map, const char *key, const char *path, bool required, char **out) {
  *out = NULL;
  yaml_node_t *n = ymap_get(c, map, key);
  if (!n) {
    if (required) return yfail(c, map, path, "missing required field %s", key);
    return 0;
  }
  const char *s = yscalar(n);
  if (!s) return yfail(c, n, path, "%s: expected a string, got %s", key, ytype(n));
  *out = sw_xstrdup(s);
  return 0;
}

/* ---- template expansion -------------------------------------------------------- */

typedef struct {
  const char *series;
  const char *matchers;
  const char *group_by;
  const char *ns_label, *ns_value, *pod_label, *pod_value;
} tmpl_args;

static int expand_template(const char *tmpl, const tmpl_args *a, sw_buf *out, sw_err *err) {
  const char *p = tmpl;
  while (*p) {
    const char *open = strstr(p, "<<");
    if (!open) {
      sw_buf_puts(out, p);
      break;
    }
    const char *close = strstr(open + 2, ">>");
    if (!close) return sw_err_set(err, SW_EINVAL, "metricsQuery: unterminated \"<<\" action");
    const char *b = open + 2, *e = close;
    bool trim_left = *b == '-' && (b[1] == ' ' || b[1] == '\t');
    bool trim_right = e - b >= 2 && e[-1] == '-' && (e[-2] == ' ' || e[-2] == '\t');
    if (trim_left) b++;
    if (trim_right) e--;
    const char *seg_end = open;
    if (trim_left)
      while (seg_end > p && (seg_end[-1] == ' ' || seg_end[-1] == '\t' || seg_end[-1] == '\n')) seg_end--;
    sw_buf_append(out, p, (size_t)(seg_end - p));
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
    size_t n = (size_t)(e - b);
#define IS(lit) (n == strlen(lit) && strncmp(b, lit, n) == 0)
    if (IS(".Series"))
      sw_buf_puts(out, a->series);
    else if (IS(".LabelMatchers"))
      sw_buf_puts(out, a->matchers);
    else if (IS(".GroupBy"))
      sw_buf_puts(out, a->group_by);
    else if (IS(".GroupBySlice"))
      sw_buf_printf(out, "[%s]", a->group_by); /* Go prints a []string so */
    else if (n > 26 && strncmp(b, "index .LabelValuesByName ", 25) == 0) {
      char label[128];
      const char *q = b + 25;
      while (*q == ' ') q++;
      if (*q != '"' || e[-1] != '"' || (size_t)(e - q) - 2 >= sizeof label)
        return sw_err_set(err, SW_EINVAL, "metricsQuery: expected <<index .LabelValuesByName \"label\">>");
      snprintf(label, sizeof label, "%.*s", (int)(e - q - 2), q + 1);
      if (a->ns_label && strcmp(label, a->ns_label) == 0)
        sw_buf_puts(out, a->ns_value);
      else if (a->pod_label && strcmp(label, a->pod_label) == 0)
        sw_buf_puts(out, a->pod_value);
    } else {
      return sw_err_set(
          err, SW_EINVAL,
          "metricsQuery: unsupported template action <<%.*s>> (expected .Series, .LabelMatchers, "
          ".GroupBy, .GroupBySlice or index .LabelValuesByName \"label\")",
          (int)n, b);
    }
#undef IS
    p = close + 2;
    if (trim_right)
      while (*p == ' ' || *p == '\t' || *p == '\n') p++;
  }
  if (!out->data) sw_buf_puts(out, "");
  return 0;
}

static int selector_matchers(const json_t *sel, sw_buf *out, sw_err *err) {
  if (!sel || json_is_null(sel)) return 0;
  if (!json_is_object(sel)) return sw_err_set(err, SW_EINVAL, "metric selector: expected an object");
  const json_t *ml = json_object_get(sel, "matchLabels");
  if (ml && !json_is_object(ml))
    return sw_err_set(err, SW_EINVAL, "metric selector: matchLabels: expected an object");
  if (ml) {
    /* sorted by key, as labels.Selector orders its requirements */
    const char *keys[64];
    size_t nk = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ml, k, v) if (nk < 64) keys[nk++] = k;
    for (size_t i = 0; i < nk; i++)
      for (size_t j = i + 1; j < nk; j++)
        if (strcmp(keys[j], keys[i]) < 0) {
          const char *t = keys[i];
          keys[i] = keys[j];
          keys[j] = t;
        }
    for (size_t i = 0; i < nk; i++) {
      const char *val = json_string_value(json_object_get(ml, keys[i]));
      if (!val)
        return sw_err_set(err, SW_EINVAL, "metric selector: matchLabels.%s: expected a string", keys[i]);
      sw_buf_printf(out, ",%s=", keys[i]);
      promql_quote(out, val);
    }
  }
  const json_t *me = json_object_get(sel, "matchExpressions");
  if (me && !json_is_array(me))
    return sw_err_set(err, SW_EINVAL, "metric selector: matchExpressions: expected a list");
  size_t i;
  json_t *x;
  json_array_foreach(me, i, x) {
    const char *key = json_string_value(json_object_get(x, "key"));
    const char *op = json_string_value(json_object_get(x, "operator"));
    const json_t *vals = json_object_get(x, "values");
    if (!key || !op)
      return sw_err_set(err, SW_EINVAL, "metric selector: matchExpressions[%zu]: expected key and operator",
                        i);
    sw_buf joined;
    sw_buf_init(&joined);
    size_t j;
    json_t *v;
    json_array_foreach(vals, j, v) {
      if (j) sw_buf_puts(&joined, "|");
      sw_buf_puts(&joined, json_string_value(v) ? json_string_value(v) : "");
    }
    if (!joined.data) sw_buf_puts(&joined, "");
    if (!strcmp(op, "In"))
      sw_buf_printf(out, ",%s=~", key), promql_quote(out, joined.data);
    else if (!strcmp(op, "NotIn"))
      sw_buf_printf(out, ",%s!~", key), promql_quote(out, joined.data);
    else if (!strcmp(op, "Exists"))
      sw_buf_printf(out, ",%s!=\"\"", key);
    else if (!strcmp(op, "DoesNotExist"))
      sw_buf_printf(out, ",%s=\"\"", key);
    else {
      sw_buf_free(&joined);
      return sw_err_set(err, SW_EINVAL,
                        "metric selector: matchExpressions[%zu].operator: expected In, NotIn, Exists or "
                        "DoesNotExist, got \"%s\"",
                        i, op);
    }
    sw_buf_free(&joined);
  }
  return 0;
}

char *adapter_rule_query(const adapter_rule *r, const char *series, const char *ns, const char *const *pods,
                         size_t n_pods, const json_t *metric_selector, sw_err *err) {
  if (!r->pod_label) {
    sw_err_set(err, SW_EINVAL, "rule (line %zu) maps no label to pods", r->line);
    return NULL;
  }
  sw_buf m, podv, out;
  sw_buf_init(&m);
  sw_buf_init(&podv);
  sw_buf_init(&out);
  for (size_t i = 0; i < n_pods; i++) {
    if (i) sw_buf_puts(&podv, "|");
    sw_buf_puts(&podv, pods[i]);
  }
  if (!podv.data) sw_buf_puts(&podv, "");
  if (ns && r->ns_label) {
    sw_buf_printf(&m, "%s=", r->ns_label);
    promql_quote(&m, ns);
    sw_buf_puts(&m, ",");
  }
  sw_buf_printf(&m, "%s%s", r->pod_label, n_pods > 1 ? "=~" : "=");
  promql_quote(&m, podv.data);
  int rc = selector_matchers(metric_selector, &m, err);
  tmpl_args a = {.series = series,
                 .matchers = m.data,
                 .group_by = r->pod_label,
                 .ns_label = r->ns_label,
                 .ns_value = ns ? ns : "",
                 .pod_label = r->pod_label,
                 .pod_value = podv.data};
  if (rc == 0) rc = expand_template(r->metrics_query, &a, &out, err);
  sw_buf_free(&m);
  sw_buf_free(&podv);
  if (rc != 0) {
    sw_buf_free(&out);
    return NULL;
  }
  return sw_buf_steal(&out);
}

/* ---- loading ------------------------------------------------------------------ */

static char *resource_label_from_template(const char *tmpl, const char *resource) {
  sw_buf b;
  sw_buf_init(&b);
  for (const char *p = tmpl; *p;) {
    if (strncmp(p, "<<.Resource>>", 13) == 0) {
      sw_buf_puts(&b, resource);
      p += 13;
    } else if (strncmp(p, "<<.Group>>", 10) == 0) {
      p += 10;
    } else {
      sw_buf_append(&b, p, 1);
      p++;
    }
  }
  if (!b.data) sw_buf_puts(&b, "");
  return sw_buf_steal(&b);
}

static int load_rule(yctx *c, yaml_node_t *n, size_t idx, adapter_rule *r) {
  char path[64];
  snprintf(path, sizeof path, "rules[%zu]", idx);
  r->line = yline(n);
  if (n->type != YAML_MAPPING_NODE) return yfail(c, n, path, "expected a mapping, got %s", ytype(n));
  static const char *const known[] = {"seriesQuery", "seriesFilters", "resources",
                                      "name",        "metricsQuery",  NULL};
  ywarn_unknown(c, n, path, known);
  if (ystring(c, n, "seriesQuery", path, true, &r->series_query) != 0) return -1;
  sw_err e;
  if (promql_parse_selector(r->series_query, &r->series_sel, &e) != 0)
    return yfail(c, ymap_get(c, n, "seriesQuery"), path, "seriesQuery \"%s\": %s", r->series_query, e.msg);
  /* seriesFilters */
  yaml_node_t *sf = ymap_get(c, n, "seriesFilters");
  if (sf && sf->type != YAML_SEQUENCE_NODE && !(sf->type == YAML_SCALAR_NODE && !*yscalar(sf)))
    return yfail(c, sf, path, "seriesFilters: expected a list, got %s", ytype(sf));
  if (sf && sf->type == YAML_SEQUENCE_NODE) {
    size_t cnt = (size_t)(sf->data.sequence.items.top - sf->data.sequence.items.start);
    r->filters = sw_xcalloc(cnt ? cnt : 1, sizeof *r->filters);
    r->filter_is = sw_xcalloc(cnt ? cnt : 1, sizeof *r->filter_is);
    for (size_t i = 0; i < cnt; i++) {
      yaml_node_t *f = yaml_document_get_node(c->doc, sf->data.sequence.items.start[i]);
      char fpath[128];
      snprintf(fpath, sizeof fpath, "%s.seriesFilters[%zu]", path, i);
      const char *is = yscalar(ymap_get(c, f, "is"));
      const char *isnot = yscalar(ymap_get(c, f, "isNot"));
      if (!is == !isnot)
        return yfail(c, f, fpath, "expected exactly one of is or isNot (a regular expression)");
      if (mregex_compile(&r->filters[i], is ? is : isnot, false, &e) != 0)
        return yfail(c, f, fpath, "%s", e.msg);
      r->filter_is[i] = is != NULL;
      r->n_filters++;
    }
  }
  /* resources */
  yaml_node_t *res = ymap_get(c, n, "resources");
  char rpath[128];
  snprintf(rpath, sizeof rpath, "%s.resources", path);
  if (res && res->type != YAML_MAPPING_NODE)
    return yfail(c, res, rpath, "expected a mapping, got %s", ytype(res));
  static const char *const rknown[] = {"overrides", "template", "namespaced", NULL};
  ywarn_unknown(c, res, rpath, rknown);
  const char *tmpl = yscalar(ymap_get(c, res, "template"));
  yaml_node_t *ov = ymap_get(c, res, "overrides");
  if (ov && ov->type != YAML_MAPPING_NODE)
    return yfail(c, ov, rpath, "overrides: expected a mapping of label: {resource: ...}, got %s", ytype(ov));
  if (ov) {
    for (yaml_node_pair_t *p = ov->data.mapping.pairs.start; p < ov->data.mapping.pairs.top; p++) {
      const char *label = yscalar(yaml_document_get_node(c->doc, p->key));
      yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
      const char *resource = yscalar(ymap_get(c, v, "resource"));
      if (!label || !resource)
        return yfail(c, v, rpath, "overrides.%s: expected {resource: \"...\"}", label ? label : "?");
      if (!strcmp(resource, "namespace") || !strcmp(resource, "namespaces")) {
        free(r->ns_label);
        r->ns_label = sw_xstrdup(label);
      } else if (!strcmp(resource, "pod") || !strcmp(resource, "pods")) {
        free(r->pod_label);
        r->pod_label = sw_xstrdup(label);
      }
    }
  }
  if (tmpl) {
    if (!r->ns_label) r->ns_label = resource_label_from_template(tmpl, "namespace");
    if (!r->pod_label) r->pod_label = resource_label_from_template(tmpl, "pod");
  }
  if (!r->pod_label)
    ywarn(c, n,
          "%s (seriesQuery \"%s\") maps no label to pods (resources.overrides or resources.template), so it "
          "answers no pod metric",
          path, r->series_query);
  /* name */
  yaml_node_t *nm = ymap_get(c, n, "name");
  char npath[128];
  snprintf(npath, sizeof npath, "%s.name", path);
  if (nm && nm->type != YAML_MAPPING_NODE)
    return yfail(c, nm, npath, "expected a mapping, got %s", ytype(nm));
  static const char *const nknown[] = {"matches", "as", NULL};
  ywarn_unknown(c, nm, npath, nknown);
  if (ystring(c, nm, "matches", npath, false, &r->name_matches) != 0) return -1;
  if (ystring(c, nm, "as", npath, false, &r->name_as) != 0) return -1;
  if (!r->name_matches) r->name_matches = sw_xstrdup("");
  if (mregex_compile(&r->name_re, r->name_matches[0] ? r->name_matches : ".*", false, &e) != 0)
    return yfail(c, nm, npath, "matches: %s", e.msg);
  if (!r->name_as || !r->name_as[0]) {
    free(r->name_as);
    if (r->name_re.ngroups == 0)
      r->name_as = sw_xstrdup("$0");
    else if (r->name_re.ngroups == 1)
      r->name_as = sw_xstrdup("$1");
    else
      return yfail(c, nm, npath, "as: must be given when matches \"%s\" has %zu capture groups",
                   r->name_matches, r->name_re.ngroups);
  }
  if (ystring(c, n, "metricsQuery", path, true, &r->metrics_query) != 0) return -1;
  /* check the template now, and whether it can be evaluated from scrapes */
  const char *pods[] = {"pod-a"};
  char *q = adapter_rule_query(r, "series_name", "ns", pods, 1, NULL, &e);
  if (!q && r->pod_label) return yfail(c, ymap_get(c, n, "metricsQuery"), path, "%s", e.msg);
  if (q) {
    promql_expr *pe;
    if (promql_parse(q, &pe, &e) != 0) {
      r->scrape_error =
          sw_xasprintf("metricsQuery \"%s\" cannot be evaluated from spillway's own scrapes (%s); "
                       "configure a Prometheus server to use it",
                       r->metrics_query, e.msg);
      ywarn(c, n, "%s: %s", path, r->scrape_error);
    } else {
      r->window = promql_max_range(pe);
      promql_free(pe);
    }
    free(q);
  }
  return 0;
}

static yaml_node_t *find_rules(yctx *c, yaml_node_t *root, const char **where) {
  if (!root) return NULL;
  if (root->type == YAML_SEQUENCE_NODE) {
    *where = "the top-level list";
    return root;
  }
  yaml_node_t *r = ymap_get(c, root, "rules");
  if (r && r->type == YAML_MAPPING_NODE) { /* Helm values: rules.custom */
    *where = "rules.custom";
    static const char *const known[] = {"custom", "default", "existing", "external", "resource", NULL};
    ywarn_unknown(c, r, "rules", known);
    return ymap_get(c, r, "custom");
  }
  if (r) {
    *where = "rules";
    static const char *const known[] = {"rules", "externalRules", "resourceRules", NULL};
    ywarn_unknown(c, root, "(top level)", known);
    if (ymap_get(c, root, "externalRules"))
      ywarn(c, root, "externalRules are ignored (spillway answers pod metrics)");
    if (ymap_get(c, root, "resourceRules"))
      ywarn(c, root, "resourceRules are ignored (spillway answers pod metrics)");
    return r;
  }
  yaml_node_t *pa = ymap_get(c, ymap_get(c, ymap_get(c, root, "prometheus"), "adapter"), "rules");
  if (pa) {
    *where = "prometheus.adapter.rules";
    return pa;
  }
  return NULL;
}

int adapter_rules_parse(const char *text, size_t len, const char *filename, adapter_rules **out,
                        json_t *warnings, sw_err *err) {
  *out = NULL;
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    int rc = sw_err_set(err, SW_EINVAL, "%s:%zu: %s%s%s", filename, parser.problem_mark.line + 1,
                        parser.problem ? parser.problem : "invalid YAML", parser.context ? " " : "",
                        parser.context ? parser.context : "");
    yaml_parser_delete(&parser);
    return rc;
  }
  yctx c = {.doc = &doc, .file = filename, .err = err, .warnings = warnings};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  const char *where = "rules";
  yaml_node_t *list = find_rules(&c, root, &where);
  int rc = 0;
  adapter_rules *rs = sw_xcalloc(1, sizeof *rs);
  rs->source = sw_xstrdup(filename);
  if (!list) {
    rc = sw_err_set(
        err, SW_EINVAL,
        "%s:1: expected prometheus-adapter rules: a list of rules, or a mapping with rules: [...], "
        "rules: {custom: [...]} or prometheus: {adapter: {rules: [...]}}",
        filename);
  } else if (list->type != YAML_SEQUENCE_NODE) {
    rc = yfail(&c, list, where, "expected a list of rules, got %s", ytype(list));
  } else {
    size_t cnt = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    rs->rules = sw_xcalloc(cnt ? cnt : 1, sizeof *rs->rules);
    for (size_t i = 0; i < cnt && rc == 0; i++) {
      yaml_node_t *rn = yaml_document_get_node(&doc, list->data.sequence.items.start[i]);
      rc = load_rule(&c, rn, i, &rs->rules[i]);
      rs->n++;
    }
  }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  if (rc != 0) {
    adapter_rules_free(rs);
    return SW_EINVAL;
  }
  *out = rs;
  return 0;
}

int adapter_rules_load(const char *path, adapter_rules **out, json_t *warnings, sw_err *err) {
  size_t len;
  char *text = sw_read_file(path, &len, err);
  if (!text) {
    *out = NULL;
    return err ? err->code : SW_EIO;
  }
  int rc = adapter_rules_parse(text, len, path, out, warnings, err);
  free(text);
  return rc;
}

adapter_rules *adapter_rules_default(void) {
  adapter_rules *rs;
  sw_err err;
  if (adapter_rules_parse(default_rules, strlen(default_rules), "built-in rules", &rs, NULL, &err) != 0) {
    SW_ERROR("metrics", "built-in rules do not load: %s", err.msg); /* a broken invariant */
    abort();
  }
  return rs;
}

/* ---- matching and naming -------------------------------------------------------- */

size_t adapter_target_labels(const adapter_rule *r, const char *ns, const char *pod, promtext_label out[6]) {
  size_t n = 0;
  const char *names[6] = {r && r->ns_label ? r->ns_label : NULL,
                          r && r->pod_label ? r->pod_label : NULL,
                          "namespace",
                          "pod",
                          "kubernetes_namespace",
                          "kubernetes_pod_name"};
  const char *vals[6] = {ns, pod, ns, pod, ns, pod};
  for (size_t i = 0; i < 6; i++) {
    if (!names[i]) continue;
    bool dup = false;
    for (size_t j = 0; j < n; j++)
      if (!strcmp(out[j].name, names[i])) dup = true;
    if (dup) continue;
    out[n].name = names[i];
    out[n].value = vals[i];
    n++;
  }
  return n;
}

bool adapter_rule_filters_ok(const adapter_rule *r, const char *name) {
  for (size_t i = 0; i < r->n_filters; i++)
    if (mregex_search(&r->filters[i], name, (regmatch_t[MREGEX_MAX_GROUPS + 1]){0}) != r->filter_is[i])
      return false;
  return true;
}

bool adapter_rule_accepts(const adapter_rule *r, const char *name, const promtext_label *labels, size_t n,
                          const promtext_label *target, size_t nt) {
  return promql_selector_matches(r->series_sel, name, labels, n, target, nt) &&
         adapter_rule_filters_ok(r, name);
}

bool adapter_rule_name(const adapter_rule *r, const char *series_name, sw_buf *out) {
  regmatch_t m[MREGEX_MAX_GROUPS + 1];
  if (!mregex_search(&r->name_re, series_name, m)) return false;
  mregex_expand(&r->name_re, out, r->name_as, series_name, m);
  return true;
}

/* Calls visit(rule, series name, metric name) for every (rule, distinct
 * series name) the rule accepts; stops when visit returns true. accepted[i]
 * (optional) counts the series names rule i accepted. */
typedef bool (*visit_fn)(void *ud, size_t rule, const char *series, const char *metric);

static void walk(const adapter_rules *rs, const msamples *s, const char *ns, const char *pod, visit_fn visit,
                 void *ud, size_t *accepted) {
  size_t ns_count = msamples_n_series(s);
  sw_buf name;
  sw_buf_init(&name);
  for (size_t ri = 0; ri < rs->n; ri++) {
    const adapter_rule *r = &rs->rules[ri];
    if (accepted) accepted[ri] = 0;
    if (!r->pod_label) continue;
    promtext_label target[6];
    size_t nt = adapter_target_labels(r, ns, pod, target);
    smap seen;
    smap_init(&seen);
    for (size_t i = 0; i < ns_count; i++) {
      const msamples_series *ms = msamples_series_at(s, i);
      if (smap_get(&seen, ms->name)) continue;
      if (!adapter_rule_accepts(r, ms->name, ms->labels, ms->n_labels, target, nt)) continue;
      smap_put(&seen, ms->name, (void *)1);
      if (accepted) accepted[ri]++;
      sw_buf_reset(&name);
      if (!adapter_rule_name(r, ms->name, &name)) continue;
      if (visit(ud, ri, ms->name, name.data ? name.data : "")) {
        smap_free(&seen);
        sw_buf_free(&name);
        return;
      }
    }
    smap_free(&seen);
  }
  sw_buf_free(&name);
}

typedef struct {
  const char *metric;
  bool found;
  size_t rule;
  sw_buf *series;
} resolve_ud;

static bool resolve_visit(void *ud, size_t rule, const char *series, const char *metric) {
  resolve_ud *r = ud;
  if (strcmp(metric, r->metric) != 0) return false;
  r->found = true;
  r->rule = rule;
  sw_buf_puts(r->series, series);
  return true;
}

int adapter_resolve(const adapter_rules *rs, const char *metric, const msamples *s, const char *ns,
                    const char *pod, size_t *rule, sw_buf *series, sw_err *err) {
  resolve_ud u = {.metric = metric, .series = series};
  size_t *accepted = sw_xcalloc(rs->n ? rs->n : 1, sizeof *accepted);
  walk(rs, s, ns, pod, resolve_visit, &u, accepted);
  if (u.found) {
    *rule = u.rule;
    free(accepted);
    return 0;
  }
  /* Say what was tried: the rules whose literal `as` is this metric first. */
  size_t nseries = msamples_n_series(s);
  sw_buf why;
  sw_buf_init(&why);
  for (size_t i = 0; i < rs->n; i++) {
    const adapter_rule *r = &rs->rules[i];
    if (strchr(r->name_as, '$') || strcmp(r->name_as, metric) != 0) continue;
    if (why.len) sw_buf_puts(&why, "; ");
    if (!r->pod_label)
      sw_buf_printf(&why, "rule seriesQuery \"%s\" (%s:%zu) maps no label to pods", r->series_query,
                    rs->source, r->line);
    else if (!accepted[i])
      sw_buf_printf(&why, "no series matches rule seriesQuery \"%s\" (%s:%zu) among the %zu scraped series",
                    r->series_query, rs->source, r->line, nseries);
    else
      sw_buf_printf(
          &why,
          "%zu series match rule seriesQuery \"%s\" (%s:%zu), but name.matches \"%s\" does not match "
          "their names",
          accepted[i], r->series_query, rs->source, r->line, r->name_matches);
  }
  if (!why.len) {
    sw_buf_printf(&why,
                  "no rule gives the name \"%s\" to any of the %zu scraped series (rules tried:", metric,
                  nseries);
    for (size_t i = 0; i < rs->n && i < 8; i++)
      sw_buf_printf(&why, "%s seriesQuery \"%s\" as \"%s\"", i ? ";" : "", rs->rules[i].series_query,
                    rs->rules[i].name_as);
    if (rs->n > 8) sw_buf_printf(&why, "; and %zu more", rs->n - 8);
    sw_buf_puts(&why, ")");
  }
  sw_err_set(err, SW_ENOENT, "%s", why.data);
  sw_buf_free(&why);
  free(accepted);
  return SW_ENOENT;
}

typedef struct {
  smap names;
} names_ud;

static bool names_visit(void *ud, size_t rule, const char *series, const char *metric) {
  names_ud *n = ud;
  if (*metric) smap_put(&n->names, metric, (void *)1);
  return false;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

json_t *adapter_names(const adapter_rules *rs, const msamples *s, const char *ns, const char *pod) {
  names_ud u;
  smap_init(&u.names);
  walk(rs, s, ns, pod, names_visit, &u, NULL);
  const char **list = sw_xcalloc(u.names.len ? u.names.len : 1, sizeof *list);
  size_t k = 0;
  for (size_t i = 0; i < u.names.cap; i++)
    if (smap_live(&u.names, i)) list[k++] = u.names.slots[i].key;
  qsort(list, k, sizeof *list, cmp_str);
  json_t *arr = json_array();
  for (size_t i = 0; i < k; i++) json_array_append_new(arr, json_string(list[i]));
  free(list);
  smap_free(&u.names);
  return arr;
}
