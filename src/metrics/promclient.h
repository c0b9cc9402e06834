/*
 * promclient.h — the optional second metrics source: a Prometheus server's
 * HTTP API (/api/v1/series to discover which series the rules name,
 * /api/v1/query with the rule's expanded metricsQuery for the values), as
 * prometheus-adapter itself uses it.
 *
 * Role in the data flow: when a Prometheus URL is configured, the hub asks
 * this instead of evaluating rules over its own scrapes. Requests go through
 * mcurl on the caller's loop and never block it. The JSON (jansson) parsing
 * is separate and pure, for tests and fuzzing.
 *
 * Owns: the discovered metric-name map. Never: the store, the clock (the
 * caller passes wall time for the series window).
 */
#ifndef METRICS_PROMCLIENT_H
#define METRICS_PROMCLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "base/sw.h"
#include "metrics/adapter.h"
#include "metrics/mcurl.h"

/* Parses an /api/v1/query answer whose result is an instant vector (or a
 * scalar, returned as one sample without labels). *result: a new JSON array
 * of {"metric": {...}, "value": [ts, "v"]}. Errors name the HTTP status and
 * Prometheus' errorType/error. */
int promclient_parse_query(const char *body, size_t len, long http_status, json_t **result, sw_err *err);
/* Parses an /api/v1/series answer: *data, a new JSON array of label objects. */
int promclient_parse_series(const char *body, size_t len, long http_status, json_t **data, sw_err *err);
/* The value and time of one result sample; false when malformed. NaN and
 * ±Inf ("NaN", "+Inf") are accepted. */
bool promclient_sample_value(const json_t *sample, double *value, double *timestamp);

typedef struct promsource promsource;

/* url and rules are borrowed and must outlive the source. */
promsource *promsource_new(mcurl *m, const char *url, const adapter_rules *rules, double timeout);
void promsource_free(promsource *ps); /* cancels what is in flight */
const char *promsource_url(const promsource *ps);

/* Runs every rule's seriesQuery through /api/v1/series (series seen since
 * wall_now - max_age) and rebuilds the metric-name map; done (optional) is
 * called when all have answered. A discovery already running is not
 * restarted. */
void promsource_discover(promsource *ps, double wall_now, double max_age, void (*done)(void *ud), void *ud);
bool promsource_discovered(const promsource *ps); /* a discovery has finished */
bool promsource_discovering(const promsource *ps);

/* The rule and series name answering `metric`, from the last discovery. On
 * failure err says what was tried (or why discovery failed). *series is
 * borrowed until the next discovery finishes. */
int promsource_lookup(const promsource *ps, const char *metric, size_t *rule, const char **series,
                      sw_err *err);
/* Metric names the last discovery found: a new sorted JSON array. */
json_t *promsource_names(const promsource *ps);

/* One query's answer: per pod, the value of the sample whose pod label names
 * it. */
typedef struct promsource_answer {
  const char *query;     /* the PromQL that was sent */
  const char *error;     /* NULL on success, else "Prometheus at URL did not answer query "..." (...)" */
  const json_t *result;  /* the result array on success */
  const char *pod_label; /* the rule's pod label */
} promsource_answer;
typedef void (*promsource_cb)(void *ud, const promsource_answer *a);

/* Expands the rule's metricsQuery for these pods and sends it. Returns 0, or
 * an error (template expansion) without calling cb. */
int promsource_query(promsource *ps, size_t rule, const char *series, const char *ns, const char *const *pods,
                     size_t n_pods, const json_t *metric_selector, promsource_cb cb, void *ud, sw_err *err);

/* The value for pod in an answer's result; false when no sample names it. */
bool promsource_answer_pod(const promsource_answer *a, const char *pod, double *value, double *timestamp);

#endif
