/*
 * fuzz_gateway_request.c — the gateway's client request path without the
 * sockets: HTTP/1 parsing with limits (fed in pieces whose size the input
 * chooses, pipelined requests included), path extraction, the OpenAI body
 * fields, and the head forwarded to a replica.
 */
#include <stddef.h>
#include <stdint.h>

#include "gateway/http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t step = (data[0] % 16) + 1; /* 1..16 bytes per read, or everything when 16 */
  if (step == 16) step = size;
  data++, size--;
  gw_reqp r;
  gw_reqp_init(&r, 2048, 4096);
  size_t off = 0;
  int requests = 0;
  while (off < size && requests < 32) {
    size_t n = size - off < step ? size - off : step;
    size_t used = 0;
    gw_reqp_state st = gw_reqp_feed(&r, (const char *)data + off, n, &used);
    off += used;
    if (st == GW_REQP_ERROR) break;
    if (st == GW_REQP_DONE) {
      char path[256];
      gw_reqp_path(&r, path, sizeof path);
      gw_reqp_header(&r, "content-type");
      gw_body_info bi;
      char msg[256];
      const char *param;
      gw_body_parse(r.body.data ? r.body.data : "", r.body.len, &bi, msg, sizeof msg, &param);
      sw_buf head;
      sw_buf_init(&head);
      gw_build_upstream_head(&r, "127.0.0.1:8000", &head);
      sw_buf_free(&head);
      requests++;
      if (!gw_reqp_keep_alive(&r)) break;
      gw_reqp_next(&r);
      continue;
    }
    if (used < n) break; /* the parser refused to go on */
  }
  if (off >= size) gw_reqp_eof(&r);
  gw_reqp_free(&r);
  return 0;
}
