/*
 * adapter.h — prometheus-adapter rules: which scraped series answer which
 * custom-metric name, and the query that computes a pod's value.
 *
 * Role in the data flow: between the scraped samples and the autoscaler. An
 * autoscaler asks for "num_requests_waiting" of pod test/qwen3-...; a rule
 * (seriesQuery, seriesFilters, resources, name.matches/as, metricsQuery)
 * says that the series vllm:num_requests_waiting answers it and that the
 * value is sum(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>).
 *
 * The rules file is the adapter's own format, so the seed's rules load
 * verbatim: a `rules:` list (config file), a bare list (as the seed shows it),
 * `rules: {custom: [...]}` (the Helm chart's values) or
 * `prometheus: {adapter: {rules: [...]}}` (ack-alibaba-cloud-metrics-adapter's
 * field). Without a file the built-in defaults apply (adapter_default_rules_yaml).
 *
 * Owns: the parsed rules. Never: I/O other than reading the rules file, the
 * clock, globals.
 */
#ifndef METRICS_ADAPTER_H
#define METRICS_ADAPTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/sw.h"
#include "metrics/mregex.h"
#include "metrics/promql.h"
#include "metrics/samples.h"

typedef struct adapter_rule {
  size_t line;        /* where the rule starts in its file (1-based) */
  char *series_query; /* as written */
  promql_expr *series_sel;
  mregex *filters; /* seriesFilters, unanchored as the adapter's */
  bool *filter_is; /* true: `is`, false: `isNot` */
  size_t n_filters;
  char *ns_label;     /* label mapped to resource namespace, or NULL */
  char *pod_label;    /* label mapped to resource pod, or NULL (the rule answers no pod metric) */
  char *name_matches; /* "" when absent (matches every name) */
  mregex name_re;
  char *name_as;       /* defaulted as the adapter does: $0 or $1 */
  char *metrics_query; /* the template */
  /* Set when the metricsQuery cannot be evaluated from scrapes (it needs a
   * Prometheus server); the message says why. */
  char *scrape_error;
  double window; /* the largest [range] in metricsQuery, 0 for none */
} adapter_rule;

typedef struct adapter_rules {
  adapter_rule *rules;
  size_t n;
  char *source; /* the file name, or "built-in rules" */
} adapter_rules;

/* Parses rules text; filename is used in messages ("rules.yaml:7: rules[0].
 * name.as: expected a string"). warnings (optional, a JSON array) receives
 * unknown fields and ignored sections. */
int adapter_rules_parse(const char *text, size_t len, const char *filename, adapter_rules **out,
                        json_t *warnings, sw_err *err);
int adapter_rules_load(const char *path, adapter_rules **out, json_t *warnings, sw_err *err);
/* The built-in rules; never fails. */
adapter_rules *adapter_rules_default(void);
const char *adapter_default_rules_yaml(void);
void adapter_rules_free(adapter_rules *r);

/* The labels Prometheus' kubernetes_sd relabelling would attach to a pod's
 * series, for matching and evaluating rules over spillway's own scrapes:
 * the rule's namespace and pod labels, plus namespace/pod and
 * kubernetes_namespace/kubernetes_pod_name. out must hold 6. */
size_t adapter_target_labels(const adapter_rule *r, const char *ns, const char *pod, promtext_label out[6]);

/* seriesQuery and seriesFilters accept the series. */
bool adapter_rule_accepts(const adapter_rule *r, const char *name, const promtext_label *labels, size_t n,
                          const promtext_label *target, size_t nt);
bool adapter_rule_filters_ok(const adapter_rule *r, const char *name);
/* The metric name the rule gives a series name (name.matches/as); false when
 * name.matches does not match. Appends to out. */
bool adapter_rule_name(const adapter_rule *r, const char *series_name, sw_buf *out);

/* The rule's metricsQuery with <<.Series>>, <<.LabelMatchers>>, <<.GroupBy>>,
 * <<.GroupBySlice>> and <<index .LabelValuesByName "l">> expanded as the
 * adapter does: namespace matcher, then the pod matcher (= for one pod,
 * =~"a|b" for several), then the HPA's metric selector (matchLabels /
 * matchExpressions, may be NULL). Caller frees. NULL and err on failure. */
char *adapter_rule_query(const adapter_rule *r, const char *series, const char *ns, const char *const *pods,
                         size_t n_pods, const json_t *metric_selector, sw_err *err);

/* Which series of one pod's store answers `metric`, trying rules in file
 * order (the first that names a series `metric` wins). On success *rule is
 * the rule index and series receives the series name. On failure err says
 * what was tried, e.g. 'no series matches rule seriesQuery
 * "vllm:num_requests_waiting" (rules.yaml:1) among the 42 scraped series'. */
int adapter_resolve(const adapter_rules *rs, const char *metric, const msamples *s, const char *ns,
                    const char *pod, size_t *rule, sw_buf *series, sw_err *err);

/* Every metric name the rules give the pod's series (deduplicated, sorted):
 * a new JSON array of strings. */
json_t *adapter_names(const adapter_rules *rs, const msamples *s, const char *ns, const char *pod);

#endif
