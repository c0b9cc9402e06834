/* libFuzzer target for src/metrics/promclient's parsers: answers of a
 * Prometheus server's HTTP API (outside input: any server at the configured
 * URL, or anything in between). The first byte picks the endpoint and the
 * HTTP status; the rest is the body. A parse either fails with a message or
 * yields a JSON array whose samples promclient_sample_value reads without
 * crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/promclient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  static const long statuses[] = {200, 400, 422, 503};
  long status = statuses[(data[0] >> 1) & 3];
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  sw_err err;
  json_t *out = NULL;
  int rc = data[0] & 1 ? promclient_parse_series(body, len, status, &out, &err)
                       : promclient_parse_query(body, len, status, &out, &err);
  if (rc != 0) {
    if (out || !err.msg[0]) abort(); /* a failure leaves nothing and says why */
    return 0;
  }
  if (!json_is_array(out)) abort();
  for (size_t i = 0; i < json_array_size(out); i++) {
    double v, t;
    (void)promclient_sample_value(json_array_get(out, i), &v, &t);
  }
  json_decref(out);
  return 0;
}
