/* libFuzzer target for `spillway schedule explain` input (untrusted JSON):
 * parse with jansson as the CLI does, then decode and place with
 * schedule_explain(). Any crash, sanitizer report or leak is a bug; errors are
 * fine. Seeds: tests/fuzz/corpus/schedule_explain/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "schedule/explain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  if (!in) return 0;
  json_t *out = NULL;
  sw_err err;
  if (schedule_explain(in, &out, &err) == 0) {
    /* The output must always be encodable. */
    char *s = json_dumps(out, JSON_COMPACT);
    if (!s) __builtin_trap();
    free(s);
    json_decref(out);
  }
  json_decref(in);
  return 0;
}
