/*
 * scraper.h — scrapes a set of /metrics URLs ("targets") on a libuv loop and
 * keeps each target's recent samples.
 *
 * Role in the data flow: the hub keeps the target set equal to the ready,
 * annotated pods and ticks it every interval; each tick starts one GET per
 * idle target (a target whose previous scrape is still running is skipped,
 * so a slow pod never piles up requests); each answer is parsed (promtext)
 * and ingested (samples) with the scrape's start time, as Prometheus stamps
 * samples. A failed scrape is recorded as such (the target's series go
 * stale) with a message saying what failed.
 *
 * Owns: the targets and their sample stores. Never: decides which pods to
 * scrape (the hub does), reads the store.
 */
#ifndef METRICS_SCRAPER_H
#define METRICS_SCRAPER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/sw.h"
#include "metrics/mcurl.h"
#include "metrics/samples.h"

typedef struct mscraper mscraper;
typedef struct mscrape_target mscrape_target;

typedef struct mscraper_opts {
  double timeout;  /* real seconds per scrape; default 1 */
  size_t history;  /* scrapes kept per target; default 60 */
  size_t max_body; /* default 16 MiB */
} mscraper_opts;

/* curl and clock are borrowed and must outlive the scraper. */
mscraper *mscraper_new(mcurl *curl, const sw_clock *clock, const mscraper_opts *o);
void mscraper_free(mscraper *s);

/* Creates the target `id` or updates its URL (a new URL starts a fresh
 * sample store). */
mscrape_target *mscraper_set(mscraper *s, const char *id, const char *url);
mscrape_target *mscraper_get(const mscraper *s, const char *id);
void mscraper_remove(mscraper *s, const char *id); /* cancels its scrape, drops its samples */
size_t mscraper_count(const mscraper *s);

/* Starts a scrape of every target with none in flight. */
void mscraper_tick(mscraper *s);
/* Starts a scrape of one target now unless one is in flight (a pod that just
 * became ready need not wait for the next tick). */
void mscraper_scrape(mscraper *s, mscrape_target *t);

typedef struct mscrape_stats {
  uint64_t scrapes, failures;
  uint64_t bytes;   /* bodies received */
  uint64_t samples; /* samples ingested */
} mscrape_stats;
mscrape_stats mscraper_stats(const mscraper *s);

const char *mscrape_target_url(const mscrape_target *t);
const msamples *mscrape_target_samples(const mscrape_target *t);
/* "" after a successful scrape; "not scraped yet" before the first answer;
 * otherwise what failed: "connection refused", "timed out after 1000 ms",
 * "HTTP 503", "parse error: line 3: ...". */
const char *mscrape_target_error(const mscrape_target *t);
double mscrape_target_duration(const mscrape_target *t); /* last scrape, seconds */
bool mscrape_target_busy(const mscrape_target *t);

#endif
