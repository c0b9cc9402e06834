/*
 * request.h — the engine's OpenAI request parser and validator: a request
 * body (outside input) in, a plain struct or an OpenAI-style error out.
 * Pure: no I/O, no clock. Also the documented tokenizer approximation that
 * counts prompt tokens.
 *
 * Validation follows vLLM's OpenAI server (pydantic models in
 * vllm/entrypoints/openai/protocol.py): the error status, type and, where it
 * matters to clients, the message wording.
 */
#ifndef ENGINE_REQUEST_H
#define ENGINE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { ENG_API_CHAT, ENG_API_COMPLETIONS } eng_api;

typedef struct eng_request {
  eng_api api;
  char model[256]; /* "" when absent (then the engine serves its only model) */
  bool has_model;
  int prompt_tokens; /* approximated, chat template included */
  int max_tokens;    /* -1 when absent (max_tokens / max_completion_tokens) */
  bool stream;
  bool include_usage; /* stream_options.include_usage */
  bool echo;          /* completions: echo (accepted, not reproduced) */
} eng_request;

typedef struct eng_api_error {
  int status;       /* HTTP status */
  const char *type; /* "BadRequestError", "NotFoundError", ... */
  char message[512];
} eng_api_error;

/* Parses and validates a body. Returns 0, or -1 with *err filled. */
int eng_request_parse(eng_api api, const char *body, size_t len, eng_request *out, eng_api_error *err);

/* Fills an error (printf-style message); returns -1. */
int eng_api_error_set(eng_api_error *err, int status, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Tokenizer approximation (documented in docs/engine.md): a run of letters is
 * one token per 6 letters (a single leading space joins the word), digits one
 * token per 3, each punctuation or symbol character one token, a run of
 * newlines or of several spaces one token, each non-ASCII code point one
 * token. Within ~15% of Llama-3 / Qwen tokenizers on English prose. */
int eng_count_tokens(const char *s, size_t n);

/* Chat template overhead (ChatML as Qwen's and close to Llama-3's): each
 * message adds 5 tokens (start, role, newline, end, newline) and the
 * generation prompt adds 3. */
#define ENG_CHAT_TOKENS_PER_MESSAGE 5
#define ENG_CHAT_TOKENS_GENERATION 3

#endif
