/* Unit tests for src/metrics/adapter: the seed's prometheus-adapter rules
 * loaded verbatim from a file, the built-in defaults, template expansion as
 * the adapter does it, series -> metric-name resolution over a pod's samples
 * and the errors that say what was tried. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "metrics/adapter.h"

#define SEED_RULES SPILLWAY_SOURCE_DIR "/tests/fuzz/corpus/adapter_rules/seed_rules.yaml"

static msamples *store_of(const char *text) {
  msamples *s = msamples_new(10);
  promtext_doc *d = promtext_doc_new();
  sw_err err;
  cr_assert_eq(promtext_parse(d, text, strlen(text), &err), 0, "%s", err.msg);
  msamples_ingest(s, d, 100);
  promtext_doc_free(d);
  return s;
}

static const char vllm_text[] = "# TYPE vllm:num_requests_waiting gauge\n"
                                "vllm:num_requests_waiting{engine=\"0\",model_name=\"qwen3-0.6b\"} 58\n"
                                "# TYPE vllm:prompt_tokens_total counter\n"
                                "vllm:prompt_tokens_total{engine=\"0\",model_name=\"qwen3-0.6b\"} 100\n"
                                "DCGM_CUSTOM_PROCESS_SM_UTIL{gpu=\"0\"} 73\n";

Test(adapter, seed_rules_load_verbatim_from_a_file) {
  adapter_rules *rs;
  sw_err err;
  json_t *warnings = json_array();
  cr_assert_eq(adapter_rules_load(SEED_RULES, &rs, warnings, &err), 0, "%s", err.msg);
  cr_assert_eq(json_array_size(warnings), 0, "%s", json_string_value(json_array_get(warnings, 0)));
  cr_assert_eq(rs->n, 2);
  const adapter_rule *r = &rs->rules[0];
  cr_assert_str_eq(r->series_query, "vllm:num_requests_waiting");
  cr_assert_str_eq(r->ns_label, "kubernetes_namespace");
  cr_assert_str_eq(r->pod_label, "kubernetes_pod_name");
  cr_assert_str_eq(r->name_as, "num_requests_waiting");
  cr_assert_null(r->scrape_error);
  cr_assert_eq(r->line, 2);
  cr_assert_eq(rs->rules[1].line, 11);

  const char *one[] = {"qwen3-5d8f7c9b6d-abcde"};
  char *q = adapter_rule_query(r, "vllm:num_requests_waiting", "test", one, 1, NULL, &err);
  cr_assert_str_eq(
      q, "sum(vllm:num_requests_waiting{kubernetes_namespace=\"test\",kubernetes_pod_name=\"qwen3-5d8f7c9b6d-"
         "abcde\"}) by (kubernetes_pod_name)");
  free(q);
  const char *two[] = {"qwen3-abc", "qwen3-def"};
  json_t *sel = json_pack("{s:{s:s},s:[{s:s,s:s,s:[s,s]},{s:s,s:s}]}", "matchLabels", "model_name",
                          "qwen3-0.6b", "matchExpressions", "key", "engine", "operator", "In", "values", "0",
                          "1", "key", "x", "operator", "DoesNotExist");
  q = adapter_rule_query(r, "vllm:num_requests_waiting", "test", two, 2, sel, &err);
  cr_assert_str_eq(
      q, "sum(vllm:num_requests_waiting{kubernetes_namespace=\"test\",kubernetes_pod_name=~\"qwen3-abc|"
         "qwen3-def\",model_name=\"qwen3-0.6b\",engine=~\"0|1\",x=\"\"}) by (kubernetes_pod_name)");
  free(q);
  json_decref(sel);

  msamples *s = store_of(vllm_text);
  size_t rule;
  sw_buf series;
  sw_buf_init(&series);
  cr_assert_eq(adapter_resolve(rs, "num_requests_waiting", s, "test", "qwen3-abc", &rule, &series, &err), 0,
               "%s", err.msg);
  cr_assert_eq(rule, 0);
  cr_assert_str_eq(series.data, "vllm:num_requests_waiting");
  sw_buf_reset(&series);
  cr_assert_eq(adapter_resolve(rs, "num_requests_running", s, "test", "qwen3-abc", &rule, &series, &err),
               SW_ENOENT);
  cr_assert_str_eq(err.msg, "no series matches rule seriesQuery \"vllm:num_requests_running\" (" SEED_RULES
                            ":11) among the 3 scraped series");
  cr_assert_eq(adapter_resolve(rs, "gpu", s, "test", "qwen3-abc", &rule, &series, &err), SW_ENOENT);
  cr_assert(strstr(err.msg,
                   "no rule gives the name \"gpu\" to any of the 3 scraped series (rules tried: seriesQuery "
                   "\"vllm:num_requests_waiting\" as \"num_requests_waiting\";"),
            "%s", err.msg);
  json_t *names = adapter_names(rs, s, "test", "qwen3-abc");
  cr_assert_eq(json_array_size(names), 1);
  cr_assert_str_eq(json_string_value(json_array_get(names, 0)), "num_requests_waiting");
  json_decref(names);
  sw_buf_free(&series);
  msamples_free(s);
  json_decref(warnings);
  adapter_rules_free(rs);
}

typedef struct {
  const char *metric;
  size_t rule;
  const char *series;
} resolve_case;

Test(adapter, builtin_defaults) {
  adapter_rules *rs = adapter_rules_default();
  cr_assert_eq(rs->n, 4);
  cr_assert_float_eq(rs->rules[2].window, 60, 0);
  msamples *s = store_of(vllm_text);
  static const resolve_case cases[] = {
      {"num_requests_waiting", 0, "vllm:num_requests_waiting"},
      {"vllm:num_requests_waiting", 1, "vllm:num_requests_waiting"},
      {"DCGM_CUSTOM_PROCESS_SM_UTIL", 1, "DCGM_CUSTOM_PROCESS_SM_UTIL"},
      {"prompt_tokens_total", 0, "vllm:prompt_tokens_total"},
      {"prompt_tokens", 2, "vllm:prompt_tokens_total"},
      {"vllm:prompt_tokens", 3, "vllm:prompt_tokens_total"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t rule;
    sw_buf series;
    sw_buf_init(&series);
    sw_err err;
    cr_assert_eq(adapter_resolve(rs, cases[i].metric, s, "ns", "p", &rule, &series, &err), 0, "%s: %s",
                 cases[i].metric, err.msg);
    cr_assert_eq(rule, cases[i].rule, "%s", cases[i].metric);
    cr_assert_str_eq(series.data, cases[i].series, "%s", cases[i].metric);
    sw_buf_free(&series);
  }
  json_t *names = adapter_names(rs, s, "ns", "p");
  char *dump = json_dumps(names, JSON_COMPACT);
  cr_assert_str_eq(dump, "[\"DCGM_CUSTOM_PROCESS_SM_UTIL\",\"num_requests_waiting\",\"prompt_tokens\","
                         "\"prompt_tokens_total\",\"vllm:num_requests_waiting\",\"vllm:prompt_tokens\","
                         "\"vllm:prompt_tokens_total\"]");
  free(dump);
  json_decref(names);
  const char *pods[] = {"p"};
  sw_err err;
  char *q = adapter_rule_query(&rs->rules[2], "vllm:prompt_tokens_total", "ns", pods, 1, NULL, &err);
  cr_assert_str_eq(q, "sum(rate(vllm:prompt_tokens_total{namespace=\"ns\",pod=\"p\"}[1m])) by (pod)");
  free(q);
  msamples_free(s);
  adapter_rules_free(rs);
}

Test(adapter, other_layouts_filters_and_templates) {
  const char *text = "prometheus:\n"
                     "  adapter:\n"
                     "    rules:\n"
                     "    - seriesQuery: '{__name__=~\"^DCGM_.*\",pod!=\"\"}'\n"
                     "      seriesFilters:\n"
                     "      - isNot: '_TOTAL$'\n"
                     "      resources:\n"
                     "        template: 'kubernetes_<<.Resource>>'\n"
                     "      name:\n"
                     "        matches: '^DCGM_(?:FI_)?(.*)$'\n"
                     "      metricsQuery: 'avg(<<.Series>>{<<.LabelMatchers>>}) by (<<.GroupBy>>) / 100'\n"
                     "      extra: 1\n";
  adapter_rules *rs;
  sw_err err;
  json_t *w = json_array();
  cr_assert_eq(adapter_rules_parse(text, strlen(text), "values.yaml", &rs, w, &err), 0, "%s", err.msg);
  cr_assert_eq(json_array_size(w), 1);
  cr_assert_str_eq(json_string_value(json_array_get(w, 0)),
                   "values.yaml:12: unknown field rules[0].extra (ignored)");
  const adapter_rule *r = &rs->rules[0];
  cr_assert_str_eq(r->pod_label, "kubernetes_pod");
  cr_assert_str_eq(r->ns_label, "kubernetes_namespace");
  cr_assert_str_eq(r->name_as, "$1");
  msamples *s = store_of("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 40\nDCGM_X_TOTAL 5\nother 1\n");
  json_t *names = adapter_names(rs, s, "ns", "p");
  char *dump = json_dumps(names, JSON_COMPACT);
  cr_assert_str_eq(dump, "[\"DEV_GPU_UTIL\"]");
  free(dump);
  json_decref(names);
  const char *pods[] = {"p"};
  char *q = adapter_rule_query(r, "DCGM_FI_DEV_GPU_UTIL", "ns", pods, 1, NULL, &err);
  cr_assert_str_eq(q, "avg(DCGM_FI_DEV_GPU_UTIL{kubernetes_namespace=\"ns\",kubernetes_pod=\"p\"}) by "
                      "(kubernetes_pod) / 100");
  free(q);
  msamples_free(s);
  adapter_rules_free(rs);
  json_decref(w);

  /* a bare list (as the seed shows it) and the Helm chart's rules.custom */
  const char *bare =
      "- seriesQuery: 'a'\n  resources: {template: '<<.Resource>>'}\n  metricsQuery: '<<.Series>>'\n";
  cr_assert_eq(adapter_rules_parse(bare, strlen(bare), "bare.yaml", &rs, NULL, &err), 0, "%s", err.msg);
  cr_assert_str_eq(rs->rules[0].pod_label, "pod");
  cr_assert_str_eq(rs->rules[0].name_as, "$0");
  adapter_rules_free(rs);
  const char *helm = "rules:\n  default: false\n  custom:\n  - seriesQuery: 'a'\n"
                     "    resources: {overrides: {p: {resource: pods}}}\n"
                     "    metricsQuery: 'topk(1, <<.Series>>{<<.LabelMatchers>>})'\n";
  w = json_array();
  cr_assert_eq(adapter_rules_parse(helm, strlen(helm), "helm.yaml", &rs, w, &err), 0, "%s", err.msg);
  cr_assert_str_eq(rs->rules[0].pod_label, "p");
  cr_assert_not_null(rs->rules[0].scrape_error, "topk needs a Prometheus server");
  cr_assert(strstr(rs->rules[0].scrape_error, "the aggregation topk is not supported"), "%s",
            rs->rules[0].scrape_error);
  cr_assert_eq(json_array_size(w), 1);
  adapter_rules_free(rs);
  json_decref(w);
}

typedef struct {
  const char *text;
  const char *error;
} bad_case;

Test(adapter, load_errors_name_file_line_and_field) {
  static const bad_case cases[] = {
      {"rules:\n- seriesQuery: 'a'\n  metricsQuery: [1]\n",
       "r.yaml:3: rules[0]: metricsQuery: expected a string, got a list"},
      {"rules:\n- resources: {}\n  metricsQuery: 'x'\n",
       "r.yaml:2: rules[0]: missing required field seriesQuery"},
      {"rules:\n- seriesQuery: 'a{'\n  metricsQuery: 'x'\n",
       "r.yaml:2: rules[0]: seriesQuery \"a{\": at column 3: expected a label name in the selector, got end "
       "of input"},
      {"rules:\n- seriesQuery: 'a'\n  name: {matches: '(a)(b)'}\n  metricsQuery: 'x'\n  resources: "
       "{template: "
       "'<<.Resource>>'}\n",
       "r.yaml:3: rules[0].name: as: must be given when matches \"(a)(b)\" has 2 capture groups"},
      {"rules:\n- seriesQuery: 'a'\n  name: {matches: '(a'}\n  metricsQuery: 'x'\n",
       "r.yaml:3: rules[0].name: matches: regular expression \"(a\":"},
      {"rules:\n- seriesQuery: 'a'\n  resources: {template: '<<.Resource>>'}\n  metricsQuery: "
       "'sum(<<.Foo>>)'\n",
       "r.yaml:4: rules[0]: metricsQuery: unsupported template action <<.Foo>>"},
      {"rules:\n- seriesQuery: 'a'\n  seriesFilters: [{is: 'a', isNot: 'b'}]\n  metricsQuery: 'x'\n",
       "r.yaml:3: rules[0].seriesFilters[0]: expected exactly one of is or isNot"},
      {"rules: 3\n", "r.yaml:1: rules: expected a list of rules, got a scalar"},
      {"foo: bar\n", "r.yaml:1: expected prometheus-adapter rules"},
      {"rules:\n- [\n", "r.yaml:"},
      {"rules:\n- 3\n", "r.yaml:2: rules[0]: expected a mapping, got a scalar"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    adapter_rules *rs = (adapter_rules *)1;
    sw_err err = {0};
    cr_assert_eq(adapter_rules_parse(cases[i].text, strlen(cases[i].text), "r.yaml", &rs, NULL, &err),
                 SW_EINVAL, "case %zu loaded", i);
    cr_assert_null(rs);
    cr_assert(strncmp(err.msg, cases[i].error, strlen(cases[i].error)) == 0, "case %zu:\n got  %s\n want %s",
              i, err.msg, cases[i].error);
  }
  adapter_rules *rs;
  sw_err err;
  cr_assert_neq(adapter_rules_load("/nonexistent/rules.yaml", &rs, NULL, &err), 0);
  cr_assert(strstr(err.msg, "/nonexistent/rules.yaml"), "%s", err.msg);
}

Test(adapter, rule_without_pod_mapping_is_explained) {
  const char *text =
      "rules:\n- seriesQuery: 'vllm:x'\n  name: {as: 'x'}\n  metricsQuery: 'sum(<<.Series>>)'\n";
  adapter_rules *rs;
  sw_err err;
  json_t *w = json_array();
  cr_assert_eq(adapter_rules_parse(text, strlen(text), "r.yaml", &rs, w, &err), 0, "%s", err.msg);
  cr_assert(strstr(json_string_value(json_array_get(w, 0)), "maps no label to pods"));
  msamples *s = store_of("vllm:x 1\n");
  size_t rule;
  sw_buf series;
  sw_buf_init(&series);
  cr_assert_eq(adapter_resolve(rs, "x", s, "ns", "p", &rule, &series, &err), SW_ENOENT);
  cr_assert_str_eq(err.msg, "rule seriesQuery \"vllm:x\" (r.yaml:2) maps no label to pods");
  sw_buf_free(&series);
  msamples_free(s);
  adapter_rules_free(rs);
  json_decref(w);
}

Test(adapter, name_matches_mismatch_is_explained) {
  const char *text =
      "rules:\n- seriesQuery: 'vllm:num_requests_waiting'\n  resources: {template: '<<.Resource>>'}\n"
      "  name: {matches: 'waiting_typo', as: 'num_requests_waiting'}\n  metricsQuery: '<<.Series>>'\n";
  adapter_rules *rs;
  sw_err err;
  cr_assert_eq(adapter_rules_parse(text, strlen(text), "r.yaml", &rs, NULL, &err), 0, "%s", err.msg);
  msamples *s = store_of("vllm:num_requests_waiting 1\n");
  size_t rule;
  sw_buf series;
  sw_buf_init(&series);
  cr_assert_eq(adapter_resolve(rs, "num_requests_waiting", s, "ns", "p", &rule, &series, &err), SW_ENOENT);
  cr_assert_str_eq(err.msg, "1 series match rule seriesQuery \"vllm:num_requests_waiting\" (r.yaml:2), but "
                            "name.matches \"waiting_typo\" does not match their names");
  sw_buf_free(&series);
  msamples_free(s);
  adapter_rules_free(rs);
}
