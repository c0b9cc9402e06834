/*
 * fuzz_gateway_endpoints.c — the standalone gateway's endpoints file
 * (YAML or JSON) and address splitting: never a crash, bounded memory.
 */
#include <stddef.h>
#include <stdint.h>

#include "gateway/epfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gw_epfile f;
  sw_err err;
  if (gw_epfile_parse((const char *)data, size, "fuzz.yaml", &f, &err) == 0) gw_epfile_free(&f);
  char s[128], host[64];
  size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
  for (size_t i = 0; i < n; i++) s[i] = (char)data[i];
  s[n] = 0;
  int port;
  gw_parse_address(s, host, sizeof host, &port);
  return 0;
}
