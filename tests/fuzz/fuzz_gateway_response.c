/*
 * fuzz_gateway_response.c — what a replica sends back, as the gateway reads
 * it: the response head parser (paused at the head and at the end), the head
 * rebuilt for the client, and de-chunking for HTTP/1.0 clients.
 */
#include <stddef.h>
#include <stdint.h>

#include "gateway/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ud, const char *at, size_t n) {
  size_t *total = ud;
  for (size_t i = 0; i < n; i++) *total += (unsigned char)at[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (data[0] % 16) + 1;
  if (step == 16) step = size;
  bool dechunk = data[0] & 0x80;
  data++, size--;
  gw_respp r;
  gw_respp_init(&r, 4096);
  size_t off = 0, total = 0;
  int responses = 0;
  while (off < size && responses < 16) {
    size_t n = size - off < step ? size - off : step;
    size_t used = 0;
    gw_respp_state st = gw_respp_feed(&r, (const char *)data + off, n, &used);
    off += used;
    if (st == GW_RESPP_ERROR) break;
    if (st == GW_RESPP_HEAD) {
      sw_buf h;
      sw_buf_init(&h);
      gw_respp_build_head(&r, &h, 1, true, dechunk);
      sw_buf_free(&h);
      gw_respp_header(&r, "content-type");
      if (dechunk) {
        r.on_body = sink;
        r.ud = &total;
      }
    }
    if (r.done) {
      gw_respp_keep_alive(&r);
      gw_respp_reset(&r);
      responses++;
      continue;
    }
    if (st == GW_RESPP_MORE && used < n) break;
  }
  if (off >= size) gw_respp_eof(&r);
  gw_respp_free(&r);
  return 0;
}
