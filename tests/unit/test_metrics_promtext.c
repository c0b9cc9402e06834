/* Unit tests for src/metrics/promtext: the Prometheus text format parser.
 * Tables of valid expositions (every escape, NaN/±Inf, timestamps, counters,
 * histograms, summaries, OpenMetrics tolerance) and of invalid ones with the
 * exact error each must produce. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/promtext.h"

static const promtext_sample *find(const promtext_doc *d, const char *key) {
  for (size_t i = 0; i < d->n_samples; i++)
    if (strlen(key) == d->samples[i].key_len && memcmp(d->samples[i].key, key, d->samples[i].key_len) == 0)
      return &d->samples[i];
  return NULL;
}

static const promtext_family *family(const promtext_doc *d, const char *name) {
  for (size_t i = 0; i < d->n_families; i++)
    if (strcmp(d->families[i].name, name) == 0) return &d->families[i];
  return NULL;
}

static promtext_doc *parse_ok(const char *text) {
  promtext_doc *d = promtext_doc_new();
  sw_err err = {0};
  int rc = promtext_parse(d, text, strlen(text), &err);
  cr_assert_eq(rc, 0, "parse failed: %s\n---\n%s", err.msg, text);
  return d;
}

Test(promtext, vllm_gauges_counters_histogram) {
  const char *text =
      "# HELP vllm:num_requests_running Number of requests in model execution batches.\n"
      "# TYPE vllm:num_requests_running gauge\n"
      "vllm:num_requests_running{engine=\"0\",model_name=\"qwen3-0.6b\"} 3.0\n"
      "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
      "# TYPE vllm:num_requests_waiting gauge\n"
      "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen3-0.6b\"} 58.0\n"
      "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
      "# TYPE vllm:prompt_tokens_total counter\n"
      "vllm:prompt_tokens_total{engine=\"0\",model_name=\"qwen3-0.6b\"} 1234.0\n"
      "# HELP vllm:prompt_tokens_created Number of prefill tokens processed.\n"
      "# TYPE vllm:prompt_tokens_created gauge\n"
      "vllm:prompt_tokens_created{engine=\"0\",model_name=\"qwen3-0.6b\"} 1.7e+09\n"
      "# HELP vllm:e2e_request_latency_seconds Histogram of e2e request latency in seconds.\n"
      "# TYPE vllm:e2e_request_latency_seconds histogram\n"
      "vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"0.3\",model_name=\"q\"} 1.0\n"
      "vllm:e2e_request_latency_seconds_bucket{engine=\"0\",le=\"+Inf\",model_name=\"q\"} 4.0\n"
      "vllm:e2e_request_latency_seconds_count{engine=\"0\",model_name=\"q\"} 4.0\n"
      "vllm:e2e_request_latency_seconds_sum{engine=\"0\",model_name=\"q\"} 2.5\n";
  promtext_doc *d = parse_ok(text);
  cr_assert_eq(d->n_families, 5);
  cr_assert_eq(d->n_samples, 8);
  const promtext_sample *s = find(d, "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen3-0.6b\"}");
  cr_assert_not_null(s);
  cr_assert_float_eq(s->value, 58.0, 1e-12);
  cr_assert_str_eq(s->name, "vllm:num_requests_waiting");
  cr_assert_str_eq(promtext_label_get(s, "model_name"), "qwen3-0.6b");
  cr_assert_eq(d->families[s->family].type, PROMTEXT_GAUGE);
  cr_assert_str_eq(d->families[s->family].help, "Number of requests waiting to be processed.");
  const promtext_family *h = family(d, "vllm:e2e_request_latency_seconds");
  cr_assert_not_null(h);
  cr_assert_eq(h->type, PROMTEXT_HISTOGRAM);
  cr_assert_eq(h->n_samples, 4);
  for (size_t i = h->first; i < h->first + h->n_samples; i++)
    cr_assert(sw_has_prefix(d->samples[i].name, "vllm:e2e_request_latency_seconds_"));
  cr_assert_eq(family(d, "vllm:prompt_tokens_total")->type, PROMTEXT_COUNTER);
  promtext_doc_free(d);
}

Test(promtext, every_escape_in_label_values_and_help) {
  const char *text =
      "# HELP m a \\\\ backslash,\\n a newline, \\q verbatim\n"
      "m{a=\"x\\\\y\",b=\"say \\\"hi\\\"\",c=\"l1\\nl2\",d=\"\\t kept\",e=\"\",f=\"héllo\"} 1\n";
  promtext_doc *d = parse_ok(text);
  cr_assert_eq(d->n_samples, 1);
  const promtext_sample *s = &d->samples[0];
  cr_assert_str_eq(promtext_label_get(s, "a"), "x\\y");
  cr_assert_str_eq(promtext_label_get(s, "b"), "say \"hi\"");
  cr_assert_str_eq(promtext_label_get(s, "c"), "l1\nl2");
  cr_assert_str_eq(promtext_label_get(s, "d"), "\\t kept");
  cr_assert_str_eq(promtext_label_get(s, "e"), "");
  cr_assert_str_eq(promtext_label_get(s, "f"), "héllo");
  cr_assert_null(promtext_label_get(s, "z"));
  cr_assert_str_eq(d->families[0].help, "a \\ backslash,\n a newline, \\q verbatim");
  promtext_doc_free(d);
}

typedef struct {
  const char *text;
  double value;
  int cls; /* 0 normal, 1 NaN, 2 +Inf, 3 -Inf */
  bool has_ts;
  double ts;
} value_case;

Test(promtext, values_and_timestamps) {
  static const value_case cases[] = {
      {"a 1\n", 1, 0, false, 0},
      {"a -2.5e3\n", -2500, 0, false, 0},
      {"a 1.5 1700000000123\n", 1.5, 0, true, 1700000000.123},
      {"a 0 -1000\n", 0, 0, true, -1},
      {"a NaN\n", 0, 1, false, 0},
      {"a nan\n", 0, 1, false, 0},
      {"a +Inf\n", 0, 2, false, 0},
      {"a Inf\n", 0, 2, false, 0},
      {"a -Inf 5\n", 0, 3, true, 0.005},
      {"a{} 7\n", 7, 0, false, 0},
      {"a{x=\"1\",} 7\n", 7, 0, false, 0},
      {"  a { x = \"1\" , y=\"2\" }   8   9  \n", 8, 0, true, 0.009},
      {"a 3", 3, 0, false, 0},                                             /* no final newline */
      {"a 3\r\n", 3, 0, false, 0},                                         /* CRLF */
      {"a 4 1700000000.5\n", 4, 0, true, 1700000000.5},                    /* OpenMetrics seconds */
      {"a_bucket{le=\"1\"} 4 # {trace_id=\"x\"} 0.5 1\n", 4, 0, false, 0}, /* exemplar skipped */
      {"a 0x10\n", 16, 0, false, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promtext_doc *d = parse_ok(cases[i].text);
    cr_assert_eq(d->n_samples, 1, "case %zu", i);
    const promtext_sample *s = &d->samples[0];
    switch (cases[i].cls) {
    case 0:
      cr_assert_float_eq(s->value, cases[i].value, 1e-9, "case %zu", i);
      break;
    case 1:
      cr_assert(isnan(s->value), "case %zu", i);
      break;
    case 2:
      cr_assert(isinf(s->value) && s->value > 0, "case %zu", i);
      break;
    case 3:
      cr_assert(isinf(s->value) && s->value < 0, "case %zu", i);
      break;
    }
    cr_assert_eq(s->has_timestamp, cases[i].has_ts, "case %zu", i);
    if (cases[i].has_ts) cr_assert_float_eq(s->timestamp, cases[i].ts, 1e-6, "case %zu", i);
    promtext_doc_free(d);
  }
}

Test(promtext, summary_and_openmetrics_counter) {
  const char *text = "# TYPE rpc_duration_seconds summary\n"
                     "rpc_duration_seconds{quantile=\"0.5\"} 0.2\n"
                     "rpc_duration_seconds{quantile=\"0.99\"} NaN\n"
                     "rpc_duration_seconds_sum 17\n"
                     "rpc_duration_seconds_count 30\n"
                     "rpc_duration_seconds_created 1.7e9\n"
                     "# TYPE requests counter\n"
                     "# UNIT requests requests\n"
                     "requests_total 5\n"
                     "requests_created 1.7e9\n"
                     "# EOF\n"
                     "this is ignored after EOF {\n";
  promtext_doc *d = parse_ok(text);
  cr_assert_eq(d->n_families, 2);
  cr_assert_eq(family(d, "rpc_duration_seconds")->n_samples, 5);
  cr_assert_eq(family(d, "rpc_duration_seconds")->type, PROMTEXT_SUMMARY);
  cr_assert_eq(family(d, "requests")->n_samples, 2);
  cr_assert_eq(family(d, "requests")->type, PROMTEXT_COUNTER);
  cr_assert_eq(d->lines, 11);
  promtext_doc_free(d);
}

Test(promtext, untyped_and_interleaved_families_group) {
  const char *text = "a 1\nb{x=\"1\"} 2\na 3\n# random comment\n#HELP b the b\n\n\n";
  promtext_doc *d = parse_ok(text);
  cr_assert_eq(d->n_families, 2);
  cr_assert_str_eq(d->families[0].name, "a");
  cr_assert_eq(d->families[0].n_samples, 2);
  cr_assert_float_eq(d->samples[0].value, 1, 0);
  cr_assert_float_eq(d->samples[1].value, 3, 0);
  cr_assert_str_eq(d->samples[2].name, "b");
  cr_assert_str_eq(d->families[1].help, "the b");
  cr_assert_eq(d->families[0].type, PROMTEXT_UNTYPED);
  promtext_doc_free(d);
}

Test(promtext, reuse_document_and_empty_input) {
  promtext_doc *d = promtext_doc_new();
  sw_err err;
  for (int round = 0; round < 3; round++) {
    const char *t = "x{a=\"b\"} 1\ny 2\n";
    cr_assert_eq(promtext_parse(d, t, strlen(t), &err), 0, "%s", err.msg);
    cr_assert_eq(d->n_samples, 2);
    cr_assert_eq(promtext_parse(d, "", 0, &err), 0);
    cr_assert_eq(d->n_samples, 0);
    cr_assert_eq(d->n_families, 0);
  }
  /* an error leaves the document empty */
  cr_assert_eq(promtext_parse(d, "x 1\ny{", 6, &err), SW_EINVAL);
  cr_assert_eq(d->n_samples, 0);
  promtext_doc_free(d);
}

typedef struct {
  const char *text;
  const char *error;
} bad_case;

Test(promtext, errors_name_line_and_expectation) {
  static const bad_case cases[] = {
      {"a 1\nb{model_name \"x\"} 2\n",
       "line 2: expected '=' after label name \"model_name\", got '\"x\"} 2'"},
      {"a{x=1} 2\n", "line 1: expected '\"' to open the value of label \"x\", got '1} 2'"},
      {"a{x=\"1\" y=\"2\"} 2\n",
       "line 1: expected ',' or '}' after the value of label \"x\", got 'y=\"2\"} 2'"},
      {"a{x=\"1} 2\n",
       "line 1: unterminated value of label \"x\" (expected a closing '\"' before the end of the line)"},
      {"a{x=\"1\\", "line 1: unterminated value of label \"x\""},
      {"a{x=\"\xff\"} 1\n", "line 1: value of label \"x\" is not valid UTF-8"},
      {"a{1x=\"1\"} 2\n", "line 1: expected a label name or '}' in the labels of \"a\", got '1x=\"1\"} 2'"},
      {"a{__name__=\"b\"} 2\n", "line 1: label name \"__name__\" is reserved"},
      {"a{x=\"1\",x=\"2\"} 2\n", "line 1: duplicate label \"x\" in \"a\""},
      {"a\n", "line 1: expected a value after \"a\", got end of line"},
      {"a{x=\"1\"}", "line 1: expected a value after \"a{x=\"1\"}\", got end of input"},
      {"a abc\n", "line 1: expected a number as the value of \"a\", got \"abc\""},
      {"a nan(1)\n", "line 1: expected a number as the value of \"a\", got \"nan(1)\""},
      {"a 1 12x\n",
       "line 1: expected a timestamp (integer milliseconds) after the value of \"a\", got \"12x\""},
      {"a 1 2 3\n", "line 1: unexpected '3' after the sample \"a\""},
      {"9a 1\n", "line 1: expected a metric name, got '9a 1'"},
      {"{a=\"b\"} 1\n", "line 1: expected a metric name, got '{a=\"b\"} 1'"},
      {"# TYPE a countr\n",
       "line 1: unknown metric type \"countr\" for \"a\" (expected counter, gauge, histogram, "
       "summary or untyped)"},
      {"# TYPE a\n", "line 1: expected a metric type after # TYPE a, got end of line"},
      {"# TYPE a gauge extra\n", "line 1: unexpected 'extra' after # TYPE a gauge"},
      {"# TYPE 1a gauge\n", "line 1: expected a metric name after # TYPE, got '1a gauge'"},
      {"# TYPE a gauge\n# TYPE a counter\n", "line 2: second TYPE line for metric name \"a\""},
      {"# HELP a x\n# HELP a y\n", "line 2: second HELP line for metric name \"a\""},
      {"a 1\n# TYPE a gauge\n", "line 2: TYPE line for \"a\" must come before its samples"},
      {"# TYPE h histogram\nh_bucket 1\n",
       "line 2: histogram bucket sample \"h_bucket\" has no \"le\" label"},
      {"# TYPE h histogram\nh_bucket{le=\"x\"} 1\n",
       "line 2: expected a number as the value of label \"le\" of \"h_bucket\", got \"x\""},
      {"# TYPE s summary\ns 1\n", "line 2: summary quantile sample \"s\" has no \"quantile\" label"},
      {"# TYPE s summary\ns{quantile=\"high\"} 1\n",
       "line 2: expected a number as the value of label \"quantile\" of \"s\", got \"high\""},
      {"\n\n\n  a{b=\"c\"} d\n", "line 4: expected a number as the value of \"a{b=\"c\"}\", got \"d\""},
      {"a{x=\"1\"\n", "line 1: expected ',' or '}' after the value of label \"x\", got end of line"},
  };
  promtext_doc *d = promtext_doc_new();
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sw_err err = {0};
    int rc = promtext_parse(d, cases[i].text, strlen(cases[i].text), &err);
    cr_assert_eq(rc, SW_EINVAL, "case %zu (%s) parsed", i, cases[i].text);
    cr_assert_str_eq(err.msg, cases[i].error, "case %zu", i);
  }
  promtext_doc_free(d);
}

Test(promtext, parse_float_table) {
  static const struct {
    const char *s;
    bool ok;
    double v;
  } cases[] = {{"1", true, 1},
               {"+1", true, 1},
               {"-0.5", true, -0.5},
               {"1e3", true, 1000},
               {".5", true, 0.5},
               {"", false, 0},
               {"e3", false, 0},
               {"1 ", false, 0},
               {"--1", false, 0},
               {"0x1p3", true, 8},
               {"infinity", true, INFINITY},
               {"-INF", true, -INFINITY}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    double v = 0;
    bool ok = promtext_parse_float(cases[i].s, strlen(cases[i].s), &v);
    cr_assert_eq(ok, cases[i].ok, "case %zu (%s)", i, cases[i].s);
    if (ok) cr_assert(v == cases[i].v, "case %zu", i);
  }
}

Test(promtext, fast_float_path_matches_strtod) {
  /* the decimal fast path must round exactly as strtod does */
  unsigned long long x = 88172645463325252ull;
  char buf[64];
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int decimals = (int)(x % 23);
    double v = (double)(x >> 11) / (double)(1ull << (x % 60));
    snprintf(buf, sizeof buf, "%s%.*f", (x & 1) ? "-" : "", decimals, v);
    double got;
    cr_assert(promtext_parse_float(buf, strlen(buf), &got), "%s", buf);
    double want = strtod(buf, NULL);
    cr_assert(memcmp(&got, &want, sizeof got) == 0, "%s: %.17g vs %.17g", buf, got, want);
  }
  static const char *const more[] = {"0",
                                     "-0",
                                     "007",
                                     "0.000000000000000000001",
                                     "999999999999999",
                                     "9999999999999999",
                                     "123456789012345.6",
                                     "1.5",
                                     "+3.25",
                                     ".5",
                                     "5."};
  for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
    double got;
    cr_assert(promtext_parse_float(more[i], strlen(more[i]), &got), "%s", more[i]);
    double want = strtod(more[i], NULL);
    cr_assert(memcmp(&got, &want, sizeof got) == 0, "%s", more[i]);
  }
  double d;
  cr_assert_not(promtext_parse_float(".", 1, &d));
  cr_assert_not(promtext_parse_float("-", 1, &d));
  cr_assert_not(promtext_parse_float("1.2.3", 5, &d));
}
