/* Unit tests for src/metrics/samples (the per-pod sample store) and
 * src/metrics/promfn (rate and histogram_quantile arithmetic), with tables of
 * cases worked out from Prometheus' extrapolatedRate and bucketQuantile. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics/promfn.h"
#include "metrics/promtext.h"
#include "metrics/samples.h"

typedef struct {
  const char *what;
  double t[8], v[8];
  size_t n;
  double start, end;
  bool counter, rate;
  bool ok;
  double want;
} rate_case;

Test(promfn, extrapolated_rate_table) {
  static const rate_case cases[] = {
      {"counter from zero: extrapolation stops at zero",
       {10, 20, 30, 40, 50, 60},
       {0, 10, 20, 30, 40, 50},
       6,
       0,
       60,
       true,
       true,
       true,
       50.0 / 60},
      {"counter: extrapolate to both ends",
       {10, 20, 30, 40, 50, 60},
       {100, 110, 120, 130, 140, 150},
       6,
       0,
       60,
       true,
       true,
       true,
       1.0},
      {"counter reset adds the value before it",
       {10, 20, 30, 40},
       {100, 110, 5, 15},
       4,
       0,
       40,
       true,
       true,
       true,
       25.0 * (40.0 / 30) / 40},
      {"delta of a gauge may be negative", {10, 20}, {5, 3}, 2, 0, 20, false, false, true, -4},
      {"increase: far end extrapolates half a step", {30, 40}, {0, 10}, 2, 0, 60, true, false, true, 15},
      {"one point: no result", {10}, {1}, 1, 0, 60, true, true, false, 0},
      {"no points: no result", {0}, {0}, 0, 0, 60, true, true, false, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const rate_case *c = &cases[i];
    double out = -12345;
    bool ok = promfn_extrapolated_rate(c->t, c->v, c->n, c->start, c->end, c->counter, c->rate, &out);
    cr_assert_eq(ok, c->ok, "%s", c->what);
    if (ok) cr_assert_float_eq(out, c->want, 1e-9, "%s: got %g want %g", c->what, out, c->want);
  }
}

Test(promfn, instant_rate_and_over_time) {
  double t[] = {1, 2, 4}, v[] = {10, 20, 5};
  double r;
  cr_assert(promfn_instant_rate(t, v, 3, true, &r));
  cr_assert_float_eq(r, 5.0 / 2, 1e-12); /* reset: the last value counts from zero */
  cr_assert(promfn_instant_rate(t, v, 3, false, &r));
  cr_assert_float_eq(r, -15, 1e-12);
  cr_assert_not(promfn_instant_rate(t, v, 1, true, &r));
  static const struct {
    const char *op;
    double want;
  } ops[] = {{"avg", 35.0 / 3}, {"min", 5}, {"max", 20}, {"sum", 35}, {"count", 3}, {"last", 5}};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    cr_assert(promfn_over_time(ops[i].op, v, 3, &r));
    cr_assert_float_eq(r, ops[i].want, 1e-12, "%s", ops[i].op);
  }
  cr_assert_not(promfn_over_time("median", v, 3, &r));
  cr_assert_not(promfn_over_time("avg", v, 0, &r));
}

typedef struct {
  const char *what;
  double q;
  promfn_bucket b[6];
  size_t n;
  double want; /* NaN: expect NaN */
} q_case;

Test(promfn, bucket_quantile_table) {
  static const q_case cases[] = {
      {"median interpolates inside its bucket", 0.5, {{0.1, 2}, {0.5, 6}, {1, 8}, {INFINITY, 10}}, 4, 0.4},
      {"in the +Inf bucket: the highest finite bound",
       0.99,
       {{0.1, 2}, {0.5, 6}, {1, 8}, {INFINITY, 10}},
       4,
       1},
      {"first bucket starts at zero", 0.1, {{0.1, 2}, {0.5, 6}, {1, 8}, {INFINITY, 10}}, 4, 0.05},
      {"unsorted input is sorted", 0.5, {{INFINITY, 10}, {1, 8}, {0.1, 2}, {0.5, 6}}, 4, 0.4},
      {"no +Inf bucket: NaN", 0.5, {{0.1, 2}, {0.5, 6}}, 2, NAN},
      {"no observations: NaN", 0.5, {{0.1, 0}, {INFINITY, 0}}, 2, NAN},
      {"non-monotonic counts are raised", 0.5, {{0.1, 5}, {0.5, 3}, {INFINITY, 10}}, 3, 0.1},
      {"equal bounds merge", 0.5, {{1, 1}, {1, 1}, {INFINITY, 4}}, 3, 1},
      {"negative first bound is returned as is", 0.1, {{-1, 5}, {0, 8}, {INFINITY, 10}}, 3, -1},
      {"q > 1 is +Inf", 1.5, {{1, 1}, {INFINITY, 2}}, 2, INFINITY},
      {"q < 0 is -Inf", -0.5, {{1, 1}, {INFINITY, 2}}, 2, -INFINITY},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promfn_bucket b[6];
    memcpy(b, cases[i].b, sizeof b);
    double r = promfn_bucket_quantile(cases[i].q, b, cases[i].n);
    if (isnan(cases[i].want))
      cr_assert(isnan(r), "%s: got %g", cases[i].what, r);
    else if (isinf(cases[i].want))
      cr_assert(r == cases[i].want, "%s: got %g", cases[i].what, r);
    else
      cr_assert_float_eq(r, cases[i].want, 1e-9, "%s: got %g", cases[i].what, r);
  }
}

static void ingest(msamples *s, promtext_doc *d, const char *text, double t) {
  sw_err err;
  cr_assert_eq(promtext_parse(d, text, strlen(text), &err), 0, "%s", err.msg);
  msamples_ingest(s, d, t);
}

Test(samples, latest_range_and_staleness) {
  msamples *s = msamples_new(4);
  promtext_doc *d = promtext_doc_new();
  ingest(s, d, "# TYPE g gauge\ng{m=\"a\"} 1\ng{m=\"b\"} 10\nc_total 5\n", 100);
  cr_assert_eq(msamples_n_series(s), 3);
  size_t g = msamples_first_named(s, "g");
  cr_assert_neq(g, SIZE_MAX);
  cr_assert_str_eq(msamples_series_at(s, g)->labels[0].value, "a");
  cr_assert_eq(msamples_series_at(s, g)->type, PROMTEXT_GAUGE);
  size_t g2 = msamples_next_same_name(s, g);
  cr_assert_str_eq(msamples_series_at(s, g2)->labels[0].value, "b");
  cr_assert_eq(msamples_next_same_name(s, g2), SIZE_MAX);
  double v, t;
  cr_assert(msamples_latest(s, g, &v, &t));
  cr_assert_float_eq(v, 1, 0);
  cr_assert_float_eq(t, 100, 0);
  cr_assert(msamples_latest_sum(s, "g", &v));
  cr_assert_float_eq(v, 11, 0);

  /* order changed, one series gone, one new */
  ingest(s, d, "c_total 7\ng{m=\"b\"} 20\nh 1\n", 101);
  cr_assert_eq(msamples_n_series(s), 4);
  cr_assert_not(msamples_latest(s, g, &v, &t), "g{m=a} is stale after a scrape without it");
  cr_assert(msamples_latest_sum(s, "g", &v));
  cr_assert_float_eq(v, 20, 0);

  /* failed scrape: everything stale, ranges keep earlier points */
  msamples_ingest(s, NULL, 102);
  cr_assert_not(msamples_last_ok(s));
  cr_assert_not(msamples_latest_sum(s, "g", &v));
  size_t c = msamples_first_named(s, "c_total");
  double ts[8], vs[8];
  size_t n = msamples_range(s, c, 0, 1000, ts, vs, 8);
  cr_assert_eq(n, 2);
  cr_assert_float_eq(vs[0], 5, 0);
  cr_assert_float_eq(vs[1], 7, 0);
  cr_assert_float_eq(ts[1], 101, 0);
  cr_assert_eq(msamples_range(s, c, 100.5, 1000, ts, vs, 8), 1);

  /* series unseen for `depth` scrapes are dropped */
  uint64_t gen = msamples_generation(s);
  ingest(s, d, "c_total 9\n", 103);
  ingest(s, d, "c_total 10\n", 104);
  size_t gb = msamples_first_named(s, "g");
  cr_assert_str_eq(msamples_series_at(s, gb)->labels[0].value, "b",
                   "g{m=a}, last seen 4 scrapes ago, is gone");
  cr_assert_eq(msamples_next_same_name(s, gb), SIZE_MAX);
  cr_assert_eq(msamples_n_series(s), 3);
  ingest(s, d, "c_total 11\n", 105);
  cr_assert_eq(msamples_n_series(s), 1);
  cr_assert_gt(msamples_generation(s), gen);
  c = msamples_first_named(s, "c_total");
  n = msamples_range(s, c, 0, 1000, ts, vs, 8);
  cr_assert_eq(n, 3, "the ring holds the last 4 scrapes: 102 (failed), 103, 104, 105");
  cr_assert_eq(msamples_scrapes(s), 6);
  cr_assert_float_eq(msamples_last_time(s), 105, 0);
  cr_assert_gt(msamples_memory(s), 0);
  promtext_doc_free(d);
  msamples_free(s);
}

Test(samples, exposed_nan_is_a_value_not_staleness) {
  msamples *s = msamples_new(0);
  cr_assert_eq(msamples_depth(s), 60);
  promtext_doc *d = promtext_doc_new();
  ingest(s, d, "x NaN\n", 1);
  double v;
  cr_assert(msamples_latest(s, 0, &v, NULL));
  cr_assert(isnan(v));
  promtext_doc_free(d);
  msamples_free(s);
}

Test(samples, steady_state_ingest_is_stable) {
  msamples *s = msamples_new(8);
  promtext_doc *d = promtext_doc_new();
  char text[4096];
  size_t k = 0;
  for (int i = 0; i < 50; i++)
    k += (size_t)snprintf(text + k, sizeof text - k, "m_bucket{le=\"%d\"} %d\n", i, i);
  for (int round = 0; round < 20; round++) ingest(s, d, text, round);
  cr_assert_eq(msamples_n_series(s), 50);
  cr_assert_eq(msamples_generation(s), 50, "no series was re-created");
  promtext_doc_free(d);
  msamples_free(s);
}
