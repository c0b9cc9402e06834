/* libFuzzer target for src/metrics/adapter and src/metrics/promql: a rules
 * file is outside input (users write it), and so is every PromQL text in it.
 * The bytes are parsed as a rules file; when it loads, every rule is
 * resolved against a small pod store and its query expanded. The same bytes
 * are also parsed and evaluated as a PromQL expression. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/adapter.h"
#include "metrics/promql.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static msamples *store(void) {
  static const char text[] = "# TYPE vllm:num_requests_waiting gauge\n"
                             "vllm:num_requests_waiting{model_name=\"q\"} 5\n"
                             "# TYPE vllm:prompt_tokens_total counter\n"
                             "vllm:prompt_tokens_total{model_name=\"q\"} 100\n"
                             "# TYPE lat histogram\nlat_bucket{le=\"1\"} 1\nlat_bucket{le=\"+Inf\"} 2\n"
                             "lat_sum 1\nlat_count 2\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 40\n";
  msamples *s = msamples_new(4);
  promtext_doc *d = promtext_doc_new();
  sw_err err;
  if (promtext_parse(d, text, sizeof text - 1, &err) != 0) abort();
  msamples_ingest(s, d, 100);
  msamples_ingest(s, d, 101);
  promtext_doc_free(d);
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static msamples *s;
  if (!s) s = store();
  sw_err err;
  adapter_rules *rs;
  json_t *warnings = json_array();
  if (adapter_rules_parse((const char *)data, size, "fuzz.yaml", &rs, warnings, &err) == 0) {
    json_t *names = adapter_names(rs, s, "ns", "pod");
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
      size_t rule;
      sw_buf series;
      sw_buf_init(&series);
      if (adapter_resolve(rs, json_string_value(n), s, "ns", "pod", &rule, &series, &err) == 0) {
        const char *pods[] = {"pod", "pod2"};
        char *q = adapter_rule_query(&rs->rules[rule], series.data, "ns", pods, 2, NULL, &err);
        free(q);
      }
      sw_buf_free(&series);
    }
    json_decref(names);
    adapter_rules_free(rs);
  }
  json_decref(warnings);
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  promql_expr *e;
  if (promql_parse(text, &e, &err) == 0) {
    promtext_label target[] = {{"namespace", "ns"}, {"pod", "pod"}};
    promql_result r;
    if (promql_eval(e, s, target, 2, 101, 300, &r, &err) == 0)
      promql_result_free(&r);
    else
      promql_result_free(&r);
    promql_free(e);
  }
  free(text);
  return 0;
}
