/*
 * promfn.h — the arithmetic of PromQL's range and histogram functions, as
 * pure functions over arrays, reproducing Prometheus 2.x exactly so a user's
 * intuition from `rate()` and `histogram_quantile()` holds when spillway
 * computes them from its own scrapes.
 *
 * Role in the data flow: the sample store hands these the points of a window;
 * the PromQL evaluator (promql.c) calls them. No I/O, no clock, no globals.
 */
#ifndef METRICS_PROMFN_H
#define METRICS_PROMFN_H

#include <stdbool.h>
#include <stddef.h>

/* rate() (is_counter, is_rate), increase() (is_counter, !is_rate) and
 * delta() (!is_counter, !is_rate) over points t[i], v[i] (oldest first) that
 * lie in [range_start, range_end], with Prometheus' extrapolation to the
 * range boundaries and counter-reset handling (promql/functions.go,
 * extrapolatedRate). False (no result) with fewer than two points. */
bool promfn_extrapolated_rate(const double *t, const double *v, size_t n, double range_start,
                              double range_end, bool is_counter, bool is_rate, double *out);

/* irate() (is_rate) and idelta() over the last two points. */
bool promfn_instant_rate(const double *t, const double *v, size_t n, bool is_rate, double *out);

/* avg/min/max/sum/count/last _over_time; op is one of "avg", "min", "max",
 * "sum", "count", "last". False when n == 0 or op is unknown. */
bool promfn_over_time(const char *op, const double *v, size_t n, double *out);

typedef struct promfn_bucket {
  double upper; /* the bucket's le */
  double count; /* cumulative count */
} promfn_bucket;

/* histogram_quantile(q, ...) over classic buckets (promql/quantile.go,
 * bucketQuantile): sorts, merges equal bounds, forces monotonic counts,
 * interpolates linearly inside the bucket. NaN without a +Inf bucket or
 * without observations. Sorts b in place. */
double promfn_bucket_quantile(double q, promfn_bucket *b, size_t n);

#endif
