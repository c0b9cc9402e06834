/*
 * promtext.h — parser of the Prometheus text exposition format 0.0.4 (what
 * vLLM, DCGM exporter and every prometheus_client serve on /metrics), tolerant
 * of the OpenMetrics 1.0 additions a server may send anyway: `# EOF`,
 * `_created` samples, `# UNIT`, counters typed without their `_total`, float
 * timestamps in seconds and exemplars after `#`.
 *
 * Role in the data flow: the first step of the metrics pipeline; the scraper
 * hands it each /metrics body and feeds the result to the sample store.
 * Owns: the parsed document (one reusable allocation set: parsing again into
 * the same document reuses its memory, so a steady scrape loop allocates
 * nothing). Never: I/O, the clock, globals.
 *
 * Errors name the line and what was expected, as Prometheus' expfmt parser
 * does: `line 12: expected '=' after label name "model_name"`.
 */
#ifndef METRICS_PROMTEXT_H
#define METRICS_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sw.h"

typedef enum {
  PROMTEXT_UNTYPED = 0, /* no TYPE line, "untyped" or OpenMetrics "unknown" */
  PROMTEXT_COUNTER,
  PROMTEXT_GAUGE,
  PROMTEXT_HISTOGRAM,
  PROMTEXT_SUMMARY,
  PROMTEXT_GAUGEHISTOGRAM, /* OpenMetrics */
  PROMTEXT_INFO,           /* OpenMetrics */
  PROMTEXT_STATESET,       /* OpenMetrics */
} promtext_type;

const char *promtext_type_name(promtext_type t);

typedef struct promtext_label {
  const char *name;  /* NUL-terminated */
  const char *value; /* unescaped, NUL-terminated (may contain '\n') */
} promtext_label;

typedef struct promtext_sample {
  const char *name; /* series name as exposed, e.g. "vllm:e2e_request_latency_seconds_bucket" */
  /* The sample's identity as written: the bytes from the name through the
   * closing '}' (escapes left as they are). An exporter writes a series the
   * same way every time, so the sample store matches series across scrapes
   * with one memcmp. */
  const char *key;
  size_t key_len;
  const promtext_label *labels; /* in exposition order */
  size_t n_labels;
  size_t family;    /* index into doc->families */
  double value;     /* may be NaN or ±Inf */
  double timestamp; /* seconds since the epoch when has_timestamp */
  bool has_timestamp;
} promtext_sample;

typedef struct promtext_family {
  const char *name; /* from TYPE/HELP, or the sample's name when untyped */
  const char *help; /* unescaped; NULL when no HELP line */
  promtext_type type;
  size_t first; /* samples[first .. first+n_samples) belong to it */
  size_t n_samples;
} promtext_family;

/* A parsed /metrics body. Every pointer in it points into memory the document
 * owns, valid until the next promtext_parse into it or promtext_doc_free.
 * Samples are grouped by family (families in order of first appearance,
 * samples in exposition order within a family). */
typedef struct promtext_doc {
  promtext_family *families;
  size_t n_families;
  promtext_sample *samples;
  size_t n_samples;
  size_t lines; /* lines read (up to `# EOF` when present) */
  void *priv;
} promtext_doc;

promtext_doc *promtext_doc_new(void);
void promtext_doc_free(promtext_doc *d);

/* Parses text[0..len) (need not be NUL-terminated) into d, replacing what d
 * held. On error returns SW_EINVAL, err says "line N: ...", and d is empty. */
int promtext_parse(promtext_doc *d, const char *text, size_t len, sw_err *err);

/* The label's value, or NULL when the sample lacks it. */
const char *promtext_label_get(const promtext_sample *s, const char *name);

/* Parses a Prometheus float the way Go's strconv.ParseFloat accepts them in
 * expositions ("1", "-2.5e3", "NaN", "+Inf", "-Inf", "Inf"); false when tok is
 * not entirely a number. */
bool promtext_parse_float(const char *tok, size_t len, double *out);

#endif
