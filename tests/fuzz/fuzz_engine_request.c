/* libFuzzer target for src/engine/request.c: arbitrary bytes as a chat or
 * completions request body (first byte picks the API). Must never crash or
 * leak; every rejection must carry a 4xx status, a type and a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  eng_api api = (data[0] & 1) ? ENG_API_COMPLETIONS : ENG_API_CHAT;
  eng_request r;
  eng_api_error e;
  memset(&e, 0, sizeof e);
  if (eng_request_parse(api, (const char *)data + 1, size - 1, &r, &e) == 0) {
    if (r.prompt_tokens < 0 || (r.max_tokens != -1 && r.max_tokens < 1)) abort();
  } else {
    if (e.status < 400 || e.status > 499 || !e.type || !e.message[0]) abort();
  }
  /* The tokenizer approximation over the raw bytes too. */
  if (eng_count_tokens((const char *)data, size) < 0) abort();
  return 0;
}
