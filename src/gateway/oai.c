/*
 * oai.c — OpenAI-style error bodies, as the OpenAI API (and vLLM's OpenAI
 * server) send them: {"error": {"message", "type", "param", "code"}}.
 * Built with jansson, never by hand.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "gateway/gw_int.h"

char *gw_oai_error(const char *message, const char *type, const char *param, const char *code) {
  json_t *err = json_object();
  json_object_set_new(err, "message", json_string(message ? message : ""));
  json_object_set_new(err, "type", json_string(type ? type : "invalid_request_error"));
  json_object_set_new(err, "param", param ? json_string(param) : json_null());
  json_object_set_new(err, "code", code ? json_string(code) : json_null());
  json_t *root = json_object();
  json_object_set_new(root, "error", err);
  /* A message built from client bytes may not be valid UTF-8: jansson then
   * refuses the string, so fall back to a fixed message. */
  if (!json_object_get(err, "message")) json_object_set_new(err, "message", json_string("invalid request"));
  char *s = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  if (!s) { /* jansson fails only when out of memory: the same invariant breach as sw_xmalloc's */
    fprintf(stderr, "spillway: out of memory encoding an error body\n");
    abort();
  }
  return s;
}
