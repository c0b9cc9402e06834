/* Unit tests for src/metrics/promql: the PromQL subset prometheus-adapter
 * rules use, parsed (with precise errors for what is not supported) and
 * evaluated over one pod's scraped samples; plus src/metrics/mregex (RE2 on
 * POSIX ERE, Go-style expansion). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics/mregex.h"
#include "metrics/promql.h"

/* A pod scraped every second for 61 s: a gauge, a counter growing by 10/s,
 * a histogram whose buckets grow steadily. */
static msamples *pod_store(void) {
  msamples *s = msamples_new(120);
  promtext_doc *d = promtext_doc_new();
  char text[4096];
  for (int i = 0; i <= 60; i++) {
    snprintf(text, sizeof text,
             "# TYPE vllm:num_requests_waiting gauge\n"
             "vllm:num_requests_waiting{model_name=\"q\",engine=\"0\"} %d\n"
             "vllm:num_requests_waiting{model_name=\"r\",engine=\"0\"} 2\n"
             "# TYPE vllm:prompt_tokens_total counter\n"
             "vllm:prompt_tokens_total{model_name=\"q\"} %d\n"
             "# TYPE lat histogram\n"
             "lat_bucket{le=\"0.1\"} %d\nlat_bucket{le=\"0.5\"} %d\nlat_bucket{le=\"1\"} %d\n"
             "lat_bucket{le=\"+Inf\"} %d\nlat_sum 0\nlat_count %d\n"
             "DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",pod=\"exported\"} 40\n",
             i % 7, 1000 + 10 * i, 2 * i, 6 * i, 8 * i, 10 * i, 10 * i);
    sw_err err;
    cr_assert_eq(promtext_parse(d, text, strlen(text), &err), 0, "%s", err.msg);
    msamples_ingest(s, d, 1000 + i);
  }
  promtext_doc_free(d);
  return s;
}

static const promtext_label target[] = {
    {"kubernetes_namespace", "test"}, {"kubernetes_pod_name", "qwen3-abc"}, {"pod", "qwen3-abc"}};

typedef struct {
  const char *query;
  double want;     /* value of the single element (or scalar); NaN: expect an empty vector */
  const char *why; /* substring of the reason when empty */
} eval_case;

Test(promql, eval_table) {
  msamples *s = pod_store();
  static const eval_case cases[] = {
      {"sum(vllm:num_requests_waiting{kubernetes_namespace=\"test\",kubernetes_pod_name=\"qwen3-abc\"}) "
       "by (kubernetes_pod_name)",
       60 % 7 + 2, NULL},
      {"vllm:num_requests_waiting{model_name=\"q\"}", 60 % 7, NULL},
      {"sum(vllm:num_requests_waiting{model_name=~\"q|r\"})", 60 % 7 + 2, NULL},
      {"sum(vllm:num_requests_waiting{model_name!~\"q\"})", 2, NULL},
      {"count(vllm:num_requests_waiting)", 2, NULL},
      {"max(vllm:num_requests_waiting)", 60 % 7 > 2 ? 60 % 7 : 2, NULL},
      {"min without (model_name) (vllm:num_requests_waiting)", 60 % 7 < 2 ? 60 % 7 : 2, NULL},
      {"avg(vllm:num_requests_waiting)", (60 % 7 + 2) / 2.0, NULL},
      {"sum(rate(vllm:prompt_tokens_total{kubernetes_pod_name=\"qwen3-abc\"}[1m])) by (kubernetes_pod_name)",
       10, NULL},
      {"sum(increase(vllm:prompt_tokens_total[30s]))", 300, NULL},
      {"irate(vllm:prompt_tokens_total[1m])", 10, NULL},
      {"histogram_quantile(0.5, sum(rate(lat_bucket[1m])) by (le, kubernetes_pod_name))", 0.4, NULL},
      {"histogram_quantile(0.9, rate(lat_bucket[1m]))", 1, NULL},
      {"max_over_time(vllm:num_requests_waiting{model_name=\"q\"}[1m])", 6, NULL},
      {"avg_over_time(vllm:num_requests_waiting{model_name=\"r\"}[10s])", 2, NULL},
      {"sum(vllm:num_requests_waiting) * 2 + 1", 2 * (60 % 7 + 2) + 1, NULL},
      {"-sum(vllm:num_requests_waiting) ^ 2", -((60 % 7 + 2) * (60 % 7 + 2)), NULL},
      {"2 ^ 3 ^ 2", 512, NULL},
      {"(1 + 2) * 3 % 5", 4, NULL},
      {"sum(vllm:num_requests_waiting) / sum(vllm:num_requests_waiting)", 1, NULL},
      {"clamp_max(sum(vllm:num_requests_waiting), 1)", 1, NULL},
      {"abs(-1 * sum(vllm:num_requests_waiting))", 60 % 7 + 2, NULL},
      {"scalar(sum(vllm:num_requests_waiting))", 60 % 7 + 2, NULL},
      {"vector(3)", 3, NULL},
      /* target labels win over exposed ones (honor_labels: false) */
      {"DCGM_FI_DEV_GPU_UTIL{pod=\"qwen3-abc\"}", 40, NULL},
      {"sum(vllm:num_requests_waiting{kubernetes_pod_name=\"other\"})", NAN, "no series matches"},
      {"sum(nothing_here)", NAN, "no series matches nothing_here{}"},
      {"rate(vllm:prompt_tokens_total[500ms])", NAN, "needs 2 or more points in the window, found 1"},
      {"histogram_quantile(0.5, vllm:num_requests_waiting)", NAN, "no series with an \"le\" label"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const eval_case *c = &cases[i];
    promql_expr *e;
    sw_err err;
    cr_assert_eq(promql_parse(c->query, &e, &err), 0, "%s: %s", c->query, err.msg);
    promql_result r;
    cr_assert_eq(promql_eval(e, s, target, 3, 1060, 300, &r, &err), 0, "%s: %s", c->query, err.msg);
    if (isnan(c->want)) {
      cr_assert_eq(r.n, 0, "%s: expected nothing, got %zu elements", c->query, r.n);
      cr_assert(strstr(r.why, c->why), "%s: why is \"%s\"", c->query, r.why);
    } else if (r.is_scalar) {
      cr_assert_float_eq(r.scalar, c->want, 1e-9, "%s: got %g", c->query, r.scalar);
    } else {
      cr_assert_eq(r.n, 1, "%s: expected one element, got %zu (%s)", c->query, r.n, r.why);
      cr_assert_float_eq(r.elems[0].value, c->want, 1e-9, "%s: got %g want %g", c->query, r.elems[0].value,
                         c->want);
    }
    promql_result_free(&r);
    promql_free(e);
  }
  msamples_free(s);
}

Test(promql, result_labels) {
  msamples *s = pod_store();
  promql_expr *e;
  sw_err err;
  cr_assert_eq(promql_parse("sum(vllm:num_requests_waiting) by (kubernetes_pod_name, model_name)", &e, &err),
               0);
  promql_result r;
  cr_assert_eq(promql_eval(e, s, target, 3, 1060, 300, &r, &err), 0);
  cr_assert_eq(r.n, 2);
  for (size_t i = 0; i < r.n; i++) {
    cr_assert_eq(r.elems[i].n_labels, 2);
    bool has_pod = false;
    for (size_t k = 0; k < 2; k++)
      if (!strcmp(r.elems[i].labels[k].name, "kubernetes_pod_name"))
        has_pod = !strcmp(r.elems[i].labels[k].value, "qwen3-abc");
    cr_assert(has_pod);
  }
  promql_result_free(&r);
  promql_free(e);
  /* rate() drops __name__, a plain selector keeps it */
  cr_assert_eq(promql_parse("vllm:prompt_tokens_total", &e, &err), 0);
  cr_assert_eq(promql_eval(e, s, target, 3, 1060, 300, &r, &err), 0);
  bool has_name = false;
  for (size_t k = 0; k < r.elems[0].n_labels; k++)
    if (!strcmp(r.elems[0].labels[k].name, "__name__")) has_name = true;
  cr_assert(has_name);
  promql_result_free(&r);
  promql_free(e);
  msamples_free(s);
}

Test(promql, staleness_and_lookback) {
  msamples *s = pod_store();
  promql_expr *e;
  sw_err err;
  cr_assert_eq(promql_parse("sum(vllm:num_requests_waiting)", &e, &err), 0);
  promql_result r;
  cr_assert_eq(promql_eval(e, s, target, 3, 2000, 300, &r, &err), 0);
  cr_assert_eq(r.n, 0);
  cr_assert(strstr(r.why, "older than the lookback of 300 s"), "%s", r.why);
  promql_result_free(&r);
  msamples_ingest(s, NULL, 1061);
  cr_assert_eq(promql_eval(e, s, target, 3, 1061, 300, &r, &err), 0);
  cr_assert_eq(r.n, 0);
  cr_assert(strstr(r.why, "is stale (the last scrape failed)"), "%s", r.why);
  promql_result_free(&r);
  promql_free(e);
  /* a range function still sees the window's points after a failed scrape */
  cr_assert_eq(promql_parse("rate(vllm:prompt_tokens_total[1m])", &e, &err), 0);
  cr_assert_eq(promql_eval(e, s, target, 3, 1061, 300, &r, &err), 0);
  cr_assert_eq(r.n, 1);
  promql_result_free(&r);
  promql_free(e);
  msamples_free(s);
}

typedef struct {
  const char *query;
  const char *error;
} parse_err_case;

Test(promql, parse_errors) {
  static const parse_err_case cases[] = {
      {"sum(x) by (pod", "at column 15: expected ',' or ')' in the grouping, got end of input"},
      {"topk(3, x)", "at column 1: the aggregation topk is not supported without a Prometheus server"},
      {"label_replace(x, \"a\", \"b\", \"c\", \"d\")",
       "at column 1: the function label_replace is not supported without a Prometheus server"},
      {"rate(x)", "at column 1: argument 1 of rate must be a range vector, got an instant vector"},
      {"rate(x[1m], 2)", "at column 1: rate takes 1 argument, got 2"},
      {"x[1x]", "at column 3: expected a duration such as 1m or 30s in [...], got \"1x\""},
      {"x[5m:1m]", "at column 2: subqueries are not supported without a Prometheus server"},
      {"x offset 5m", "at column 3: offset and @ modifiers are not supported without a Prometheus server"},
      {"x > 1", "at column 3: the operator \">\" is not supported without a Prometheus server"},
      {"x and y", "at column 3: the operator \"and\" is not supported without a Prometheus server"},
      {"x{a=\"b}", "at column 5: unterminated string literal"},
      {"x{a~\"b\"}", "at column 4: expected =, !=, =~ or !~ after label name \"a\", got \"~\""},
      {"x{a=b}", "at column 5: expected a quoted string as the value of label \"a\", got \"b\""},
      {"{a=\"\"}",
       "at column 1: a selector needs a metric name or a matcher that does not match the empty string"},
      {"x{a=~\"(?=b)\"}", "a (?...) flag group or look-around is not supported"},
      {"x[1m]", "at column 1: the expression must be a number or an instant vector, not a range vector"},
      {"sum by (a) (x) by (b)", "at column 16: a second by/without clause"},
      {"sum(x) by (a) by (b)", "at column 15: unexpected \"by\" after the expression"},
      {"(x", "at column 3: expected ')', got end of input"},
      {"x y", "at column 3: unexpected \"y\" after the expression"},
      {"x{a=\"\\q\"}", "at column 5: invalid escape \\q in string literal"},
      {"((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
       "(((("
       "((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
       "(((("
       "1",
       "the expression is nested too deeply"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    promql_expr *e = NULL;
    sw_err err = {0};
    cr_assert_eq(promql_parse(cases[i].query, &e, &err), SW_EINVAL, "%s parsed", cases[i].query);
    cr_assert_null(e);
    cr_assert(strstr(err.msg, cases[i].error), "%s:\n got  %s\n want %s", cases[i].query, err.msg,
              cases[i].error);
  }
  promql_expr *e;
  sw_err err;
  cr_assert_eq(promql_parse_selector("sum(x)", &e, &err), SW_EINVAL);
  cr_assert(strstr(err.msg, "expected a series selector"), "%s", err.msg);
  cr_assert_eq(promql_parse_selector("vllm:num_requests_waiting", &e, &err), 0);
  cr_assert(promql_selector_matches(e, "vllm:num_requests_waiting", NULL, 0, NULL, 0));
  cr_assert_not(promql_selector_matches(e, "vllm:num_requests_running", NULL, 0, NULL, 0));
  promql_free(e);
  cr_assert_eq(promql_parse("sum(rate(a[1m])) + max_over_time(b[1h30m])", &e, &err), 0, "%s", err.msg);
  cr_assert_float_eq(promql_max_range(e), 5400, 0);
  promql_free(e);
  cr_assert_eq(promql_parse("x{a='single',b=`raw\\`,c=\"\\u00e9\\x41\"}", &e, &err), 0, "%s", err.msg);
  promtext_label l[] = {{"a", "single"}, {"b", "raw\\"}, {"c", "éA"}};
  cr_assert(promql_selector_matches(e, "x", l, 3, NULL, 0));
  promql_free(e);
}

Test(mregex, translation_and_expansion) {
  static const struct {
    const char *re;
    bool anchored;
    const char *s;
    bool match;
  } cases[] = {
      {"vllm:.+", true, "vllm:num_requests_waiting", true},
      {"vllm:.+", true, "xvllm:a", false},
      {"vllm", false, "xvllm:a", true},
      {"a\\d+", true, "a123", true},
      {"a\\d+", true, "a12b", false},
      {"(?:a|b)c", true, "bc", true},
      {"(?i)VLLM", true, "vllm", true},
      {"[\\d.]+", true, "1.5", true},
      {"\\w+_total", true, "req_total", true},
      {"a.*?b", true, "axxb", true},
      {"[]a]+", true, "]a]", true},
      {"", true, "", true},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mregex r;
    sw_err err;
    cr_assert_eq(mregex_compile(&r, cases[i].re, cases[i].anchored, &err), 0, "%s: %s", cases[i].re, err.msg);
    cr_assert_eq(mregex_match(&r, cases[i].s), cases[i].match, "%s ~ %s", cases[i].re, cases[i].s);
    mregex_free(&r);
  }
  mregex r;
  sw_err err;
  cr_assert_eq(mregex_compile(&r, "^(?:container_)?(.*)_(seconds)_total$", false, &err), 0);
  cr_assert_eq(r.ngroups, 2);
  regmatch_t m[MREGEX_MAX_GROUPS + 1];
  const char *s = "container_cpu_usage_seconds_total";
  cr_assert(mregex_search(&r, s, m));
  static const struct {
    const char *tmpl, *want;
  } ex[] = {{"$1", "cpu_usage"}, {"${1}_per_${2}", "cpu_usage_per_seconds"},  {"$1_per_second", ""},
            {"$$1", "$1"},       {"$0", "container_cpu_usage_seconds_total"}, {"${9}x", "x"},
            {"a$", "a$"}};
  for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
    sw_buf b;
    sw_buf_init(&b);
    mregex_expand(&r, &b, ex[i].tmpl, s, m);
    cr_assert_str_eq(b.data, ex[i].want, "%s", ex[i].tmpl);
    sw_buf_free(&b);
  }
  mregex_free(&r);
  cr_assert_eq(mregex_compile(&r, "a\\bb", false, &err), SW_EINVAL);
  cr_assert(strstr(err.msg, "the escape \\b is not supported"), "%s", err.msg);
  cr_assert_eq(mregex_compile(&r, "(?<=a)b", false, &err), SW_EINVAL);
  sw_buf q;
  sw_buf_init(&q);
  mregex_quote(&q, "qwen3.abc|x");
  cr_assert_str_eq(q.data, "qwen3\\.abc\\|x");
  sw_buf_free(&q);
}

Test(mregex, repetition_limits_as_re2) {
  static const struct {
    const char *re;
    bool ok;
    const char *s;
  } cases[] = {
      {"a{2}", true, "aa"},    {"a{2,3}b", true, "aaab"}, {"a{2,}", true, "aaaaa"},
      {"a{1000}", true, NULL}, {"a{1001}", false, NULL},  {"(a{100}){20}", false, NULL},
      {"a++", false, NULL},    {"a*?b", true, "aab"},     {"a**", false, NULL},
      {"x{", true, "x{"},      {"x{a}", true, "x{a}"},    {"a*[b]*c+", true, "aabbc"},
      {"(a*)*", true, "aa"},   {"a{3,2}", false, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    mregex r;
    sw_err err;
    int rc = mregex_compile(&r, cases[i].re, true, &err);
    cr_assert_eq(rc == 0, cases[i].ok, "%s: %s", cases[i].re, rc ? err.msg : "compiled");
    if (rc == 0 && cases[i].s) cr_assert(mregex_match(&r, cases[i].s), "%s ~ %s", cases[i].re, cases[i].s);
    if (rc == 0) mregex_free(&r);
  }
}
