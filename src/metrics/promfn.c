/*
 * promfn.c — PromQL's rate and quantile arithmetic (see promfn.h). Each
 * function is a transcription of the Prometheus 2.x Go code it names, kept
 * in the same order of steps so the two can be compared line by line.
 */
#include "metrics/promfn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool promfn_extrapolated_rate(const double *t, const double *v, size_t n, double range_start,
                              double range_end, bool is_counter, bool is_rate, double *out) {
  if (n < 2) return false; /* "No sense in trying to compute a rate without at least two points." */
  double result = v[n - 1] - v[0];
  if (is_counter) {
    double last = 0;
    for (size_t i = 0; i < n; i++) {
      if (v[i] < last) result += last; /* a counter reset: the counter restarted from 0 */
      last = v[i];
    }
  }
  double to_start = t[0] - range_start;
  double to_end = range_end - t[n - 1];
  double sampled = t[n - 1] - t[0];
  if (sampled <= 0) return false;
  double avg_step = sampled / (double)(n - 1);
  if (is_counter && result > 0 && v[0] >= 0) {
    /* Counters cannot be negative: do not extrapolate below zero. */
    double to_zero = sampled * (v[0] / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_step * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_step / 2;
  interval += to_end < threshold ? to_end : avg_step / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= (range_end - range_start);
  *out = result * factor;
  return true;
}

bool promfn_instant_rate(const double *t, const double *v, size_t n, bool is_rate, double *out) {
  if (n < 2) return false;
  double last = v[n - 1], prev = v[n - 2];
  double r = (is_rate && last < prev) ? last : last - prev; /* irate: a reset counts from zero */
  double dt = t[n - 1] - t[n - 2];
  if (dt <= 0) return false;
  if (is_rate) r /= dt;
  *out = r;
  return true;
}

bool promfn_over_time(const char *op, const double *v, size_t n, double *out) {
  if (n == 0) return false;
  if (strcmp(op, "count") == 0) {
    *out = (double)n;
    return true;
  }
  if (strcmp(op, "last") == 0) {
    *out = v[n - 1];
    return true;
  }
  if (strcmp(op, "sum") == 0 || strcmp(op, "avg") == 0) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    *out = strcmp(op, "avg") == 0 ? s / (double)n : s;
    return true;
  }
  bool is_max = strcmp(op, "max") == 0;
  if (!is_max && strcmp(op, "min") != 0) return false;
  /* Prometheus: NaN is replaced by any number seen */
  double r = v[0];
  for (size_t i = 1; i < n; i++)
    if ((is_max ? v[i] > r : v[i] < r) || isnan(r)) r = v[i];
  *out = r;
  return true;
}

static int cmp_bucket(const void *a, const void *b) {
  double x = ((const promfn_bucket *)a)->upper, y = ((const promfn_bucket *)b)->upper;
  return x < y ? -1 : x > y ? 1 : 0;
}

double promfn_bucket_quantile(double q, promfn_bucket *b, size_t n) {
  if (isnan(q)) return NAN;
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  if (n == 0) return NAN;
  qsort(b, n, sizeof *b, cmp_bucket);
  if (!(isinf(b[n - 1].upper) && b[n - 1].upper > 0)) return NAN;
  /* coalesceBuckets: equal upper bounds are one bucket */
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (m > 0 && b[m - 1].upper == b[i].upper)
      b[m - 1].count += b[i].count;
    else
      b[m++] = b[i];
  }
  n = m;
  /* ensureMonotonic: counts never go down */
  double max = -INFINITY;
  for (size_t i = 0; i < n; i++) {
    if (b[i].count > max)
      max = b[i].count;
    else if (b[i].count < max)
      b[i].count = max;
  }
  if (n < 2) return NAN;
  double observations = b[n - 1].count;
  if (observations == 0) return NAN;
  double rank = q * observations;
  size_t k = 0; /* sort.Search over the first n-1 buckets for count >= rank */
  while (k < n - 1 && !(b[k].count >= rank)) k++;
  if (k == n - 1) return b[n - 2].upper;
  if (k == 0 && b[0].upper <= 0) return b[0].upper;
  double start = 0, end = b[k].upper, count = b[k].count;
  if (k > 0) {
    start = b[k - 1].upper;
    count -= b[k - 1].count;
    rank -= b[k - 1].count;
  }
  return start + (end - start) * (rank / count);
}
