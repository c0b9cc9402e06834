/*
 * request.c — OpenAI request parsing/validation and the tokenizer
 * approximation (request.h). Pure: body bytes in, struct or error out.
 * Every JSON read goes through jansson; nothing here allocates beyond the
 * parsed document, which is freed before returning.
 */
#include "engine/request.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int eng_api_error_set(eng_api_error *err, int status, const char *type, const char *fmt, ...) {
  err->status = status;
  err->type = type;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return -1;
}

/* ---- tokenizer approximation --------------------------------------------- */

static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

int eng_count_tokens(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  int tokens = 0;
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c == ' ' && i + 1 < n && (is_alpha(s[i + 1]) || is_digit(s[i + 1]))) {
      i++; /* a single leading space belongs to the next word */
      continue;
    }
    size_t j = i;
    if (is_alpha(c)) {
      while (j < n && is_alpha(s[j])) j++;
      tokens += (int)((j - i + 5) / 6);
    } else if (is_digit(c)) {
      while (j < n && is_digit(s[j])) j++;
      tokens += (int)((j - i + 2) / 3);
    } else if (c == '\n' || c == '\r') {
      while (j < n && (s[j] == '\n' || s[j] == '\r')) j++;
      tokens++;
    } else if (c == ' ' || c == '\t') {
      while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
      tokens++;
    } else if (c >= 0x80) {
      j++; /* one code point: skip its continuation bytes */
      while (j < n && (s[j] & 0xC0) == 0x80) j++;
      tokens++;
    } else {
      j++;
      tokens++;
    }
    i = j;
  }
  return tokens;
}

/* ---- validation helpers --------------------------------------------------- */

#define BAD(...) eng_api_error_set(err, 400, "BadRequestError", __VA_ARGS__)

/* Optional integer field: absent or null leaves *out unchanged. */
static int opt_int(json_t *root, const char *key, int *out, bool *present, eng_api_error *err) {
  json_t *v = json_object_get(root, key);
  if (present) *present = false;
  if (!v || json_is_null(v)) return 0;
  double d;
  if (json_is_integer(v))
    d = (double)json_integer_value(v);
  else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)))
    d = json_real_value(v);
  else
    return BAD("%s: Input should be a valid integer", key);
  if (d > 2147483647.0 || d < -2147483648.0)
    return BAD("%s: Input should be a valid integer (out of range)", key);
  *out = (int)d;
  if (present) *present = true;
  return 0;
}

static int opt_bool(json_t *root, const char *key, bool *out, eng_api_error *err) {
  json_t *v = json_object_get(root, key);
  if (!v || json_is_null(v)) return 0;
  if (!json_is_boolean(v)) return BAD("%s: Input should be a valid boolean", key);
  *out = json_is_true(v);
  return 0;
}

static int opt_number(json_t *root, const char *key, double *out, bool *present, eng_api_error *err) {
  json_t *v = json_object_get(root, key);
  *present = false;
  if (!v || json_is_null(v)) return 0;
  if (!json_is_number(v)) return BAD("%s: Input should be a valid number", key);
  *out = json_number_value(v);
  *present = true;
  return 0;
}

/* Sampling parameters vLLM checks in SamplingParams._verify_args. */
static int check_sampling(json_t *root, eng_api_error *err) {
  double t;
  bool has;
  if (opt_number(root, "temperature", &t, &has, err)) return -1;
  if (has && t < 0) return BAD("temperature must be non-negative, got %g.", t);
  if (opt_number(root, "top_p", &t, &has, err)) return -1;
  if (has && (t <= 0 || t > 1)) return BAD("top_p must be in (0, 1], got %g.", t);
  if (opt_number(root, "presence_penalty", &t, &has, err)) return -1;
  if (has && (t < -2 || t > 2)) return BAD("presence_penalty must be in [-2, 2], got %g.", t);
  if (opt_number(root, "frequency_penalty", &t, &has, err)) return -1;
  if (has && (t < -2 || t > 2)) return BAD("frequency_penalty must be in [-2, 2], got %g.", t);
  json_t *stop = json_object_get(root, "stop");
  if (stop && !json_is_null(stop) && !json_is_string(stop)) {
    if (!json_is_array(stop)) return BAD("stop: Input should be a valid string or list of strings");
    size_t i;
    json_t *v;
    json_array_foreach(stop, i,
                       v) if (!json_is_string(v)) return BAD("stop.%zu: Input should be a valid string", i);
  }
  int seed = 0;
  if (opt_int(root, "seed", &seed, NULL, err)) return -1;
  return 0;
}

static int count_content(json_t *content, size_t mi, int *tokens, eng_api_error *err) {
  if (!content || json_is_null(content)) return 0;
  if (json_is_string(content)) {
    *tokens += eng_count_tokens(json_string_value(content), json_string_length(content));
    return 0;
  }
  if (!json_is_array(content))
    return BAD("messages.%zu.content: Input should be a valid string or list of parts", mi);
  size_t pi;
  json_t *part;
  json_array_foreach(content, pi, part) {
    const char *type = json_string_value(json_object_get(part, "type"));
    if (!json_is_object(part) || !type)
      return BAD("messages.%zu.content.%zu: a content part needs a \"type\"", mi, pi);
    if (strcmp(type, "text") == 0) {
      json_t *text = json_object_get(part, "text");
      if (!json_is_string(text))
        return BAD("messages.%zu.content.%zu.text: Input should be a valid string", mi, pi);
      *tokens += eng_count_tokens(json_string_value(text), json_string_length(text));
    } else if (strcmp(type, "image_url") == 0 || strcmp(type, "input_audio") == 0 ||
               strcmp(type, "video_url") == 0) {
      return BAD("messages.%zu.content.%zu: this model does not support %s input", mi, pi, type);
    } else {
      return BAD("messages.%zu.content.%zu.type: unknown content part type '%s'", mi, pi, type);
    }
  }
  return 0;
}

static int parse_chat(json_t *root, eng_request *out, eng_api_error *err) {
  json_t *msgs = json_object_get(root, "messages");
  if (!msgs) return BAD("messages: Field required");
  if (!json_is_array(msgs)) return BAD("messages: Input should be a valid list");
  if (json_array_size(msgs) == 0) return BAD("messages: List should have at least 1 item");
  int tokens = ENG_CHAT_TOKENS_GENERATION;
  size_t i;
  json_t *m;
  json_array_foreach(msgs, i, m) {
    if (!json_is_object(m)) return BAD("messages.%zu: Input should be a valid dictionary", i);
    json_t *role = json_object_get(m, "role");
    if (!json_is_string(role)) return BAD("messages.%zu.role: Field required (a string)", i);
    const char *r = json_string_value(role);
    if (strcmp(r, "system") && strcmp(r, "user") && strcmp(r, "assistant") && strcmp(r, "tool") &&
        strcmp(r, "developer") && strcmp(r, "function"))
      return BAD("messages.%zu.role: Input should be 'system', 'user', 'assistant', 'tool' or 'developer'",
                 i);
    json_t *content = json_object_get(m, "content");
    if (!content && strcmp(r, "assistant") != 0) return BAD("messages.%zu.content: Field required", i);
    tokens += ENG_CHAT_TOKENS_PER_MESSAGE;
    if (count_content(content, i, &tokens, err)) return -1;
  }
  out->prompt_tokens = tokens;
  int mt = -1, mct = -1;
  bool has_mt, has_mct;
  if (opt_int(root, "max_tokens", &mt, &has_mt, err) ||
      opt_int(root, "max_completion_tokens", &mct, &has_mct, err))
    return -1;
  out->max_tokens = has_mct ? mct : has_mt ? mt : -1;
  if ((has_mct || has_mt) && out->max_tokens < 1)
    return BAD("max_tokens must be at least 1, got %d.", out->max_tokens);
  return 0;
}

static int parse_completions(json_t *root, eng_request *out, eng_api_error *err) {
  json_t *p = json_object_get(root, "prompt");
  if (!p || json_is_null(p)) return BAD("Either prompt or prompt_embeds must be provided and non-empty.");
  int tokens = 0;
  if (json_is_string(p)) {
    tokens = eng_count_tokens(json_string_value(p), json_string_length(p));
  } else if (json_is_array(p)) {
    size_t n = json_array_size(p);
    if (n == 0) return BAD("Either prompt or prompt_embeds must be provided and non-empty.");
    json_t *first = json_array_get(p, 0);
    if (json_is_integer(first)) { /* token ids */
      size_t i;
      json_t *v;
      json_array_foreach(p, i, v) if (!json_is_integer(v) || json_integer_value(v) < 0) return BAD(
          "prompt.%zu: token ids must be non-negative integers", i);
      tokens = (int)n;
    } else if (n > 1) {
      return BAD(
          "prompt: batched prompts (a list of %zu prompts) are not supported by spillway engine; send one "
          "prompt per request",
          n);
    } else if (json_is_string(first)) {
      tokens = eng_count_tokens(json_string_value(first), json_string_length(first));
    } else if (json_is_array(first)) {
      size_t i;
      json_t *v;
      json_array_foreach(first, i, v) if (!json_is_integer(v) || json_integer_value(v) < 0) return BAD(
          "prompt.0.%zu: token ids must be non-negative integers", i);
      tokens = (int)json_array_size(first);
    } else {
      return BAD("prompt: Input should be a string, a list of strings or a list of token ids");
    }
  } else {
    return BAD("prompt: Input should be a string, a list of strings or a list of token ids");
  }
  if (tokens == 0) return BAD("Either prompt or prompt_embeds must be provided and non-empty.");
  out->prompt_tokens = tokens;
  /* vLLM's CompletionRequest defaults max_tokens to 16, as OpenAI's legacy API. */
  json_t *mt = json_object_get(root, "max_tokens");
  out->max_tokens = mt ? -1 : 16;
  bool has;
  if (opt_int(root, "max_tokens", &out->max_tokens, &has, err)) return -1;
  if (has && out->max_tokens < 1) return BAD("max_tokens must be at least 1, got %d.", out->max_tokens);
  if (opt_bool(root, "echo", &out->echo, err)) return -1;
  return 0;
}

int eng_request_parse(eng_api api, const char *body, size_t len, eng_request *out, eng_api_error *err) {
  memset(out, 0, sizeof *out);
  out->api = api;
  out->max_tokens = -1;
  json_error_t je;
  json_t *root = json_loadb(body, len, 0, &je);
  if (!root) return BAD("JSON decode error: %s (line %d, column %d)", je.text, je.line, je.column);
  int rc = -1;
  if (!json_is_object(root)) {
    BAD("Input should be a valid dictionary or object to extract fields from");
    goto done;
  }
  json_t *model = json_object_get(root, "model");
  if (model && !json_is_null(model)) {
    if (!json_is_string(model)) {
      BAD("model: Input should be a valid string");
      goto done;
    }
    snprintf(out->model, sizeof out->model, "%s", json_string_value(model));
    out->has_model = true;
  }
  if (opt_bool(root, "stream", &out->stream, err)) goto done;
  json_t *so = json_object_get(root, "stream_options");
  if (so && !json_is_null(so)) {
    if (!json_is_object(so)) {
      BAD("stream_options: Input should be a valid dictionary");
      goto done;
    }
    if (!out->stream) {
      BAD("Stream options can only be defined when `stream=True`.");
      goto done;
    }
    if (opt_bool(so, "include_usage", &out->include_usage, err)) goto done;
  }
  int n = 1;
  if (opt_int(root, "n", &n, NULL, err)) goto done;
  if (n != 1) {
    if (n < 1)
      BAD("n must be at least 1, got %d.", n);
    else
      BAD("n: only n=1 is supported by spillway engine, got %d", n);
    goto done;
  }
  if (check_sampling(root, err)) goto done;
  rc = api == ENG_API_CHAT ? parse_chat(root, out, err) : parse_completions(root, out, err);
done:
  json_decref(root);
  return rc;
}
