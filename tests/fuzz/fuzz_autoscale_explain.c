/* libFuzzer target for src/autoscale: the `autoscale explain` input decoder
 * (untrusted JSON naming every field of the autoscaler, pods, metrics and
 * histories) and the HPA algorithm behind it. Also feeds the raw bytes to the
 * quantity parser. Must never crash, leak or trip the sanitizers; every
 * failure must come back as an error with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale/autoscale.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 20) return 0;
  char *s = malloc(size + 1);
  memcpy(s, data, size);
  s[size] = 0;
  int64_t milli;
  if (hpa_quantity_milli(s, &milli) == 0) {
    char buf[48];
    hpa_milli_format(milli, buf, sizeof buf);
  }
  free(s);
  json_error_t je;
  json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
  if (!in) return 0;
  json_t *out = NULL;
  sw_err err = {0};
  int rc = autoscale_explain(in, &out, &err);
  if (rc == 0) {
    if (!out) abort();
    char *txt = json_dumps(out, JSON_COMPACT);
    if (!txt) abort();
    free(txt);
  } else if (!err.msg[0]) {
    abort(); /* an error without a message */
  }
  json_decref(out);
  json_decref(in);
  return 0;
}
