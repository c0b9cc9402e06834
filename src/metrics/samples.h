/*
 * samples.h — the sample store of one scrape target (one pod): the values of
 * every series it exposed over its last N scrapes, with each scrape's time.
 *
 * Role in the data flow: the scraper ingests each parsed /metrics body here;
 * the PromQL evaluator and the hub's queries read windows of it (latest
 * gauge value, counter rate, histogram quantile).
 *
 * Staleness follows Prometheus: a series absent from a scrape, and every
 * series of a failed scrape, gets a staleness marker in that scrape's slot,
 * so an instant query after a failed scrape finds nothing (as Prometheus'
 * scrape loop marks a failed target's series stale), while range functions
 * still see the earlier points of the window. Series unseen for N scrapes are
 * dropped, bounding memory at 8 bytes x series x N.
 *
 * Owns: copies of series names and labels, the rings. Never: I/O, the clock
 * (scrape times are given), globals.
 */
#ifndef METRICS_SAMPLES_H
#define METRICS_SAMPLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/promtext.h"

typedef struct msamples msamples;

/* One series' identity. Pointers are owned by the store and valid until the
 * next msamples_ingest (which may drop series) or msamples_free. */
typedef struct msamples_series {
  const char *name;   /* "vllm:num_requests_waiting" */
  const char *family; /* its TYPE family ("vllm:e2e_request_latency_seconds" for _bucket) */
  promtext_type type;
  const promtext_label *labels;
  size_t n_labels;
} msamples_series;

/* depth: scrapes kept (>= 2; 60 when 0). */
msamples *msamples_new(size_t depth);
void msamples_free(msamples *s);

/* Appends one scrape taken at time t (clock seconds, increasing). doc NULL
 * records a failed scrape. Explicit timestamps in the exposition are not
 * used: the scrape time is the sample time (honor_timestamps: false). */
void msamples_ingest(msamples *s, const promtext_doc *doc, double t);

size_t msamples_depth(const msamples *s);
uint64_t msamples_scrapes(const msamples *s); /* scrapes ingested, failed ones included */
bool msamples_last_ok(const msamples *s);     /* the newest scrape succeeded */
double msamples_last_time(const msamples *s); /* time of the newest scrape; 0 when none */
/* Bumped whenever series appear or are dropped, so callers can cache
 * per-series-set results (name resolution). */
uint64_t msamples_generation(const msamples *s);

size_t msamples_n_series(const msamples *s);
const msamples_series *msamples_series_at(const msamples *s, size_t i);
/* Indexes of the series with this name, first one, then msamples_next_same_name
 * until SIZE_MAX. */
size_t msamples_first_named(const msamples *s, const char *name);
size_t msamples_next_same_name(const msamples *s, size_t i);

/* The value in the newest scrape; false when the series is stale there (absent
 * or the scrape failed). *t receives the scrape time. */
bool msamples_latest(const msamples *s, size_t series, double *v, double *t);

/* Points of the series with time in [from, to], oldest first, staleness
 * markers skipped (as range selectors skip them). Returns how many were
 * written (at most max). */
size_t msamples_range(const msamples *s, size_t series, double from, double to, double *ts, double *vs,
                      size_t max);

/* Sum of the newest values of every series with this name (e.g. one
 * vllm:num_requests_waiting per model_name); false when none is fresh. */
bool msamples_latest_sum(const msamples *s, const char *name, double *v);

/* Bytes held (series, labels and rings), for the benchmark's report. */
size_t msamples_memory(const msamples *s);

#endif
