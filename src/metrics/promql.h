/*
 * promql.h — the part of PromQL that prometheus-adapter rules use, parsed and
 * evaluated over one pod's sample store, so a rule's metricsQuery gives the
 * same per-pod number whether spillway scraped the pod itself or a
 * Prometheus server answers it.
 *
 * Supported: instant and range selectors with =, !=, =~, !~ matchers;
 * rate, irate, increase, delta, idelta, {avg,min,max,sum,count,last}_over_time,
 * histogram_quantile, abs, ceil, floor, clamp_min, clamp_max, vector;
 * sum, avg, min, max, count with by/without; + - * / % ^ between scalars and
 * vectors (vector-vector matched one-to-one on all labels but __name__);
 * number literals and parentheses. Anything else is refused at parse time
 * with the position and the construct, so a rule that would need a real
 * Prometheus says so when it is loaded.
 *
 * Role in the data flow: adapter rules -> (template expansion) -> this ->
 * the per-pod value the autoscaler receives. Pure: no I/O, no clock (`now` is
 * an argument), no globals.
 */
#ifndef METRICS_PROMQL_H
#define METRICS_PROMQL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/sw.h"
#include "metrics/promtext.h"
#include "metrics/samples.h"

typedef struct promql_expr promql_expr;

/* Parses text; on error err says "at column N: expected ..., got ...". */
int promql_parse(const char *text, promql_expr **out, sw_err *err);
/* A plain instant selector only (a rule's seriesQuery). */
int promql_parse_selector(const char *text, promql_expr **out, sw_err *err);
void promql_free(promql_expr *e);

/* The largest range selector ([1m] -> 60), 0 when there is none. */
double promql_max_range(const promql_expr *e);

/* Does a series with this name and labels match the selector? target labels
 * (what Prometheus' relabelling would attach: namespace, pod, ...) take
 * precedence over exposed labels of the same name. */
bool promql_selector_matches(const promql_expr *sel, const char *name, const promtext_label *labels, size_t n,
                             const promtext_label *target, size_t nt);

typedef struct promql_elem {
  const promtext_label *labels; /* owned by the result */
  size_t n_labels;
  double value;
} promql_elem;

typedef struct promql_result {
  bool is_scalar;
  double scalar;
  promql_elem *elems;
  size_t n;
  /* When the vector is empty: the first reason a series was left out, e.g.
   * "vllm:x{...} is stale (the last scrape failed)". "" when none. */
  char why[512];
  void *priv;
} promql_result;

/* Evaluates e at time now over one target's samples. lookback: how old the
 * newest point of an instant selector may be (Prometheus' 5m). */
int promql_eval(const promql_expr *e, const msamples *s, const promtext_label *target, size_t nt, double now,
                double lookback, promql_result *out, sw_err *err);
void promql_result_free(promql_result *r);

/* Appends s as a PromQL double-quoted string literal. */
void promql_quote(sw_buf *out, const char *s);

#endif
