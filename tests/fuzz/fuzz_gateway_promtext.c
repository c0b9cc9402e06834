/*
 * fuzz_gateway_promtext.c — the load gauges the standalone gateway reads
 * from each replica's /metrics text.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/epfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gw_load l;
  sw_err err = {0};
  if (gw_prom_load((const char *)data, size, &l, &err) != 0 && (!err.msg[0] || !isnan(l.waiting))) __builtin_trap();
  return 0;
}
