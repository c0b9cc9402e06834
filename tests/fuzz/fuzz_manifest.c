/*
 * fuzz_manifest.c — libFuzzer target for the manifest reader (src/api):
 * arbitrary bytes go through api_decode_manifests (YAML and JSON paths,
 * placeholders, every kind's schema and hooks). Whatever decodes is then
 * encoded to YAML and JSON, decoded again and compared (the round-trip
 * property), and printed with api_table / api_describe.
 * Corpus: tests/fuzz/corpus/manifest/ (the examples and broken files).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const json_t *obj, const char *text) {
  json_t *back = NULL;
  sw_err err = {0};
  if (api_decode_manifests("rt", text, strlen(text), NULL, &back, NULL, &err) != 0) {
    fprintf(stderr, "re-decoding failed: %s\n%s\n", err.msg, text);
    abort();
  }
  if (json_array_size(back) != 1 || !json_equal(json_array_get(back, 0), obj)) {
    fprintf(stderr, "round trip changed the object:\n%s\n", text);
    abort();
  }
  json_decref(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"cluster1_id", "cluster2_id", "waiting_size", "running_size", "n"};
  static const char *const values[] = {"cluster1", "cluster2", "5", "10", "3"};
  api_vars vars = {names, values, 5, false};
  json_t *out = NULL, *warnings = json_array();
  sw_err err = {0};
  if (api_decode_manifests("fuzz.yaml", (const char *)data, size, &vars, &out, warnings, &err) == 0) {
    size_t i;
    json_t *o;
    json_array_foreach(out, i, o) {
      char *y = api_encode_yaml(o), *j = api_encode_json(o);
      check_round_trip(o, y);
      check_round_trip(o, j);
      free(y);
      free(j);
      const api_kind *k = api_kind_for(json_string_value(json_object_get(o, "apiVersion")),
                                       json_string_value(json_object_get(o, "kind")));
      if (k) {
        char *d = api_describe(k, o, NULL, 1.8e9);
        free(d);
        json_t *one = json_pack("[O]", o);
        char *t = api_table(k, one, true, 1.8e9);
        free(t);
        json_decref(one);
      }
    }
    json_decref(out);
  } else if (err.msg[0] == 0) {
    abort(); /* every failure must say why */
  }
  json_decref(warnings);
  return 0;
}
