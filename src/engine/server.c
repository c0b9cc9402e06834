/*
 * server.c — the simulated vLLM server (server.h).
 *
 * Data flow: HTTP request -> request.c validates it -> the latency model
 * (model.c) gets it with its arrival time -> a timerfd wakes the loop at the
 * model's next event -> tokens are streamed (SSE) or collected -> the reply.
 * /metrics renders metrics.c's families from the model's state.
 *
 * Time: model time runs at --time-scale x real time from engine start and
 * stops while a "hang" fault is on. Every latency the model produces is model
 * time; timers convert to real time. Metrics report model time, so they read
 * as a real vLLM's would. The timerfd (CLOCK_MONOTONIC, absolute, ns) rather
 * than a libuv timer (ms) keeps token timing within a fraction of a ms.
 *
 * It owns every in-flight call; a call ends when its last token is sent,
 * when its client goes away (http_response_on_close: the model request is
 * aborted), or at the end of the shutdown grace. JSON is built with jansson;
 * streamed chunks are spliced from a per-call jansson-encoded template and
 * pre-encoded token words so a token costs one small copy.
 */
#include "engine/server.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "engine/metrics.h"
#include "engine/model.h"
#include "engine/profile.h"
#include "engine/request.h"
#include "net/http_server.h"

#define LOG "engine"
#define MARK "\x01spillway\x01"

/* Token text: one word per token, each a single token under the tokenizer
 * approximation, so usage counts and the text agree. */
static const char *const words[] = {
    "the",   "of",    "and", "to",   "in",    "is",    "that",  "for",   "it",    "as",    "was",
    "with",  "be",    "by",  "on",   "not",   "he",    "this",  "are",   "or",    "his",   "from",
    "at",    "which", "but", "have", "an",    "had",   "they",  "you",   "were",  "their", "one",
    "all",   "we",    "can", "her",  "has",   "there", "been",  "if",    "more",  "when",  "will",
    "would", "who",   "so",  "no",   "model", "token", "batch", "cache", "queue", "step",  "prompt",
    "fleet", "spill", "way", "load", "scale", "ready", "node",  "pod",   "gpu"};
#define N_WORDS (sizeof words / sizeof words[0])

typedef struct eng_server eng_server;

typedef struct eng_call {
  eng_server *s;
  http_response *res;
  eng_model_req *mreq;
  struct eng_call *prev, *next;
  eng_api api;
  bool stream, include_usage;
  char id[80];
  long long created;
  int prompt_tokens, max_tokens, target;
  double arrival, queued, scheduled, first, last;
  int generated;
  uint64_t text_seed;
  sw_buf text;   /* non-streaming: the generated text */
  char *part[4]; /* streaming: chunk JSON around the content (and token times) */
  size_t part_len[4];
} eng_call;

struct eng_server {
  uv_loop_t *loop;
  eng_options opt;
  eng_profile prof;
  eng_resolved res;
  const char *served[ENG_MAX_SERVED_NAMES];
  int n_served;
  const char *root_model;
  eng_model *model;
  eng_metrics metrics;
  http_server *http;
  double scale;
  double mono0, paused_total, hang_start;
  int tfd;
  uv_poll_t tpoll;
  double armed; /* model time the timerfd is armed for (INFINITY: disarmed) */
  uv_timer_t startup_timer, util_timer, grace_timer, crash_timer;
  uv_signal_t sigterm, sigint;
  bool have_tpoll, have_util, have_grace, have_sigterm, have_sigint, have_startup;
  uint64_t rng;
  eng_call *calls;
  size_t n_calls;
  bool hung;
  double error_rate, slowdown;
  SW_VEC(struct held_health *) held_health;
  struct {
    double t, busy;
  } util_ring[8];
  int util_n;
  double gpu_util;
  bool loaded, draining, stopped;
  char uuid[64], hostname[128];
  char *word_json[N_WORDS]; /* jansson-encoded " word" (quotes stripped) */
  size_t word_len[N_WORDS];
  char tnum[40]; /* the current step's token time, encoded */
  size_t tnum_len;
  double tnum_for;
  int exit_code;
};

/* ---- small utilities ------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static double uniform(uint64_t *x) { return ((double)(splitmix(x) >> 11) + 0.5) / 9007199254740992.0; }

static double model_now(const eng_server *s) {
  double mono = s->hung ? s->hang_start : sw_mono_now();
  return (mono - s->mono0 - s->paused_total) * s->scale;
}

/* jansson's encoding of a string, without the surrounding quotes. */
static char *json_inner(const char *str, size_t *len) {
  json_t *j = json_string(str);
  char *d = json_dumps(j, JSON_ENCODE_ANY);
  json_decref(j);
  size_t n = strlen(d);
  memmove(d, d + 1, n - 2);
  d[n - 2] = 0;
  *len = n - 2;
  return d;
}

static void respond_json(http_response *res, int status, json_t *body) {
  char *text = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  http_respond(res, status, "application/json", text, strlen(text));
  free(text);
}

/* {"error": {"message", "type", "param", "code"}} as vLLM's ErrorResponse. */
static json_t *error_json(int status, const char *type, const char *message, const char *param) {
  return json_pack("{s:{s:s, s:s, s:o, s:i}}", "error", "message", message, "type", type, "param",
                   param ? json_string(param) : json_null(), "code", status);
}

static void respond_error(http_response *res, int status, const char *type, const char *message,
                          const char *param) {
  respond_json(res, status, error_json(status, type, message, param));
}

/* Replies the HTTP layer makes itself (413, 400, 431) in OpenAI form. */
static const char *format_http_error(void *ud, int status, const char *message, sw_buf *body) {
  (void)ud;
  const char *type = status == 413   ? "RequestEntityTooLarge"
                     : status == 431 ? "RequestHeaderFieldsTooLarge"
                                     : "BadRequestError";
  json_t *j = error_json(status, type, message, NULL);
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  sw_buf_puts(body, text);
  free(text);
  return "application/json";
}

/* ---- the model's clock ------------------------------------------------------- */

static void on_event(void *ud, const eng_event *ev);
static void on_step(void *ud, const eng_step_info *st);

static void arm(eng_server *s, double t) {
  if (s->tfd < 0) return;
  struct itimerspec its = {0};
  if (!isinf(t) && !s->hung) {
    double mono = s->mono0 + s->paused_total + t / s->scale;
    if (mono <= 0) mono = 1e-9;
    its.it_value.tv_sec = (time_t)mono;
    its.it_value.tv_nsec = (long)((mono - (double)its.it_value.tv_sec) * 1e9);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  s->armed = isinf(t) || s->hung ? INFINITY : t;
  timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Runs the model up to now and re-arms for its next event. */
static void drive(eng_server *s) {
  if (s->hung || !s->model) return;
  double next = eng_model_run(s->model, model_now(s), on_event, on_step, s);
  arm(s, next);
}

static void on_tick(uv_poll_t *p, int status, int events) {
  eng_server *s = p->data;
  uint64_t expirations;
  while (read(s->tfd, &expirations, sizeof expirations) > 0) {
  }
  drive(s);
}

/* ---- calls ------------------------------------------------------------------- */

static void maybe_stop(eng_server *s);

static void call_unlink_free(eng_call *c) {
  eng_server *s = c->s;
  if (c->prev)
    c->prev->next = c->next;
  else
    s->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  s->n_calls--;
  sw_buf_free(&c->text);
  for (int i = 0; i < 4; i++) free(c->part[i]);
  free(c);
  if (s->draining) maybe_stop(s);
}

static void on_client_gone(void *ud) {
  eng_call *c = ud;
  eng_server *s = c->s;
  SW_DEBUG(LOG, "%s: client went away after %d tokens; aborting", c->id, c->generated);
  if (c->mreq) eng_model_abort(s->model, c->mreq, model_now(s));
  c->mreq = NULL;
  s->metrics.success[ENG_FINISH_ABORT]++;
  call_unlink_free(c);
  drive(s);
}

static json_t *usage_json(const eng_call *c) {
  return json_pack("{s:i, s:i, s:i}", "prompt_tokens", c->prompt_tokens, "total_tokens",
                   c->prompt_tokens + c->generated, "completion_tokens", c->generated);
}

/* Builds the streaming template: the chunk JSON for one token, encoded once
 * by jansson and split around the content (and, with --emit-token-times,
 * around the token time), so each token is spliced in without re-encoding. */
#define TMARK "\x02t\x02"
#define SMARK "\x02s\x02"
static void stream_template(eng_call *c) {
  eng_server *s = c->s;
  json_t *choice = c->api == ENG_API_CHAT ? json_pack("{s:i, s:{s:s}, s:n, s:n}", "index", 0, "delta",
                                                      "content", MARK, "logprobs", "finish_reason")
                                          : json_pack("{s:i, s:s, s:n, s:n, s:n}", "index", 0, "text", MARK,
                                                      "logprobs", "finish_reason", "stop_reason");
  json_t *chunk = json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", c->id, "object",
                            c->api == ENG_API_CHAT ? "chat.completion.chunk" : "text_completion", "created",
                            (json_int_t)c->created, "model", s->served[0], "choices", choice);
  if (s->opt.emit_token_times) {
    /* the token's model time, and the engine's clock (model time) when the
     * chunk was written: their gaps show the engine's own timing error */
    json_object_set_new(chunk, "spillway_token_time", json_string(TMARK));
    json_object_set_new(chunk, "spillway_sent_time", json_string(SMARK));
  }
  char *text = json_dumps(chunk, JSON_COMPACT);
  json_decref(chunk);
  size_t mlen, tlen, slen;
  char *mark = json_inner(MARK, &mlen);
  char *tmark = json_inner(TMARK, &tlen);
  char *smark = json_inner(SMARK, &slen);
  char *at = strstr(text, mark);
  c->part[0] = sw_xasprintf("data: %.*s", (int)(at - text), text);
  const char *rest = at + mlen;
  const char *tat = s->opt.emit_token_times ? strstr(rest, tmark) : NULL;
  const char *sat = tat ? strstr(tat, smark) : NULL;
  if (tat && sat) { /* drop the quotes around the markers: the times are numbers */
    c->part[1] = sw_xasprintf("%.*s", (int)(tat - 1 - rest), rest);
    c->part[2] = sw_xasprintf("%.*s", (int)(sat - 1 - (tat + tlen + 1)), tat + tlen + 1);
    c->part[3] = sw_xasprintf("%s\n\n", sat + slen + 1);
  } else {
    c->part[1] = sw_xasprintf("%s\n\n", rest);
    c->part[2] = sw_xstrdup("");
    c->part[3] = sw_xstrdup("");
  }
  for (int i = 0; i < 4; i++) c->part_len[i] = strlen(c->part[i]);
  free(mark);
  free(tmark);
  free(smark);
  free(text);
}

static void stream_json(eng_call *c, json_t *chunk) {
  char *text = json_dumps(chunk, JSON_COMPACT);
  json_decref(chunk);
  sw_buf b;
  sw_buf_init(&b);
  sw_buf_printf(&b, "data: %s\n\n", text);
  http_stream_write(c->res, b.data, b.len);
  sw_buf_free(&b);
  free(text);
}

static int word_for(const eng_call *c, int index) {
  uint64_t x = c->text_seed ^ ((uint64_t)index * 0x9E3779B97F4A7C15ull);
  return (int)(splitmix(&x) % N_WORDS);
}

static void emit_token(eng_call *c, int index, double t, eng_finish finish) {
  eng_server *s = c->s;
  int w = word_for(c, index);
  /* Words after the first carry their leading space, as BPE tokens do. */
  const char *wj = s->word_json[w] + (index == 0 ? 1 : 0);
  size_t wl = s->word_len[w] - (index == 0 ? 1 : 0);
  if (!c->stream) {
    if (index > 0) sw_buf_puts(&c->text, " ");
    sw_buf_puts(&c->text, words[w]);
    return;
  }
  if (index == 0 && c->api == ENG_API_CHAT) {
    /* vLLM's first chat chunk carries the role, with empty content. */
    json_t *choice = json_pack("{s:i, s:{s:s, s:s}, s:n, s:n}", "index", 0, "delta", "role", "assistant",
                               "content", "", "logprobs", "finish_reason");
    stream_json(c, json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", c->id, "object", "chat.completion.chunk",
                             "created", (json_int_t)c->created, "model", s->served[0], "choices", choice));
  }
  if (finish != ENG_FINISH_NONE) {
    /* The last token's chunk carries the finish reason: built with jansson. */
    char content[64];
    snprintf(content, sizeof content, "%s%s", index == 0 ? "" : " ", words[w]);
    json_t *choice =
        c->api == ENG_API_CHAT
            ? json_pack("{s:i, s:{s:s}, s:n}", "index", 0, "delta", "content", content, "logprobs")
            : json_pack("{s:i, s:s, s:n}", "index", 0, "text", content, "logprobs");
    json_object_set_new(choice, "finish_reason", json_string(eng_finish_name(finish)));
    json_object_set_new(choice, "stop_reason", json_null());
    json_t *chunk = json_pack("{s:s, s:s, s:I, s:s, s:[o]}", "id", c->id, "object",
                              c->api == ENG_API_CHAT ? "chat.completion.chunk" : "text_completion", "created",
                              (json_int_t)c->created, "model", s->served[0], "choices", choice);
    if (s->opt.emit_token_times) {
      json_object_set_new(chunk, "spillway_token_time", json_real(t));
      json_object_set_new(chunk, "spillway_sent_time", json_real(model_now(s)));
    }
    stream_json(c, chunk);
    return;
  }
  if (s->opt.emit_token_times && t != s->tnum_for) {
    /* Every token of a step has the same time: encode it once per step. */
    json_t *jt = json_real(t);
    char *d = json_dumps(jt, JSON_ENCODE_ANY);
    json_decref(jt);
    s->tnum_len = strlen(d) < sizeof s->tnum ? strlen(d) : sizeof s->tnum - 1;
    memcpy(s->tnum, d, s->tnum_len);
    free(d);
    s->tnum_for = t;
  }
  const char *tnum = s->tnum;
  size_t tn = s->opt.emit_token_times ? s->tnum_len : 0;
  char snum[40];
  size_t sn = 0;
  if (s->opt.emit_token_times) {
    json_t *js = json_real(model_now(s));
    char *d = json_dumps(js, JSON_ENCODE_ANY);
    json_decref(js);
    sn = strlen(d) < sizeof snum ? strlen(d) : sizeof snum - 1;
    memcpy(snum, d, sn);
    free(d);
  }
  size_t n = c->part_len[0] + wl + c->part_len[1] + tn + c->part_len[2] + sn + c->part_len[3];
  char buf[1024];
  char *p = n <= sizeof buf ? buf : sw_xmalloc(n), *q = p;
  memcpy(q, c->part[0], c->part_len[0]), q += c->part_len[0];
  memcpy(q, wj, wl), q += wl;
  memcpy(q, c->part[1], c->part_len[1]), q += c->part_len[1];
  memcpy(q, tnum, tn), q += tn;
  memcpy(q, c->part[2], c->part_len[2]), q += c->part_len[2];
  memcpy(q, snum, sn), q += sn;
  memcpy(q, c->part[3], c->part_len[3]);
  http_stream_write(c->res, p, n);
  if (p != buf) free(p);
}

/* The last token is out: close the reply, record the request's metrics. */
static void call_finish(eng_call *c, eng_finish finish) {
  eng_server *s = c->s;
  eng_metrics *m = &s->metrics;
  m->success[finish]++;
  eng_hist_observe(&m->e2e, c->last - c->arrival);
  eng_hist_observe(&m->queue, c->scheduled - c->queued);
  eng_hist_observe(&m->inference, c->last - c->scheduled);
  eng_hist_observe(&m->prefill, c->first - c->scheduled);
  eng_hist_observe(&m->decode, c->last - c->first);
  eng_hist_observe(&m->prompt_tokens_h, c->prompt_tokens);
  eng_hist_observe(&m->generation_tokens_h, c->generated);
  eng_hist_observe(&m->max_tokens_h, c->max_tokens);
  eng_hist_observe(&m->max_gen_tokens_h, c->max_tokens);
  eng_hist_observe(&m->n_h, 1);
  if (c->stream) {
    if (c->include_usage)
      stream_json(c, json_pack("{s:s, s:s, s:I, s:s, s:[], s:o}", "id", c->id, "object",
                               c->api == ENG_API_CHAT ? "chat.completion.chunk" : "text_completion",
                               "created", (json_int_t)c->created, "model", s->served[0], "choices", "usage",
                               usage_json(c)));
    static const char done[] = "data: [DONE]\n\n";
    http_stream_write(c->res, done, sizeof done - 1);
    http_stream_end(c->res);
  } else {
    json_t *choice;
    if (c->api == ENG_API_CHAT)
      choice = json_pack("{s:i, s:{s:s, s:s%, s:n, s:[]}, s:n, s:s, s:n}", "index", 0, "message", "role",
                         "assistant", "content", c->text.data ? c->text.data : "", c->text.len,
                         "reasoning_content", "tool_calls", "logprobs", "finish_reason",
                         eng_finish_name(finish), "stop_reason");
    else
      choice = json_pack("{s:i, s:s%, s:n, s:s, s:n, s:n}", "index", 0, "text",
                         c->text.data ? c->text.data : "", c->text.len, "logprobs", "finish_reason",
                         eng_finish_name(finish), "stop_reason", "prompt_logprobs");
    json_t *body = json_pack("{s:s, s:s, s:I, s:s, s:[o], s:o, s:n}", "id", c->id, "object",
                             c->api == ENG_API_CHAT ? "chat.completion" : "text_completion", "created",
                             (json_int_t)c->created, "model", s->served[0], "choices", choice, "usage",
                             usage_json(c), "prompt_logprobs");
    respond_json(c->res, 200, body);
  }
  c->mreq = NULL; /* the model frees it after this event */
  call_unlink_free(c);
}

static void on_event(void *ud, const eng_event *ev) {
  eng_server *s = ud;
  eng_call *c = ev->req_ud;
  switch (ev->kind) {
  case ENG_EV_QUEUED:
    c->queued = ev->time;
    break;
  case ENG_EV_SCHEDULED:
    c->scheduled = ev->time;
    break;
  case ENG_EV_PREEMPTED:
    s->metrics.preemptions++;
    break;
  case ENG_EV_TOKEN: {
    int index = ev->generated - 1;
    if (index == 0) {
      c->first = ev->time;
      eng_hist_observe(&s->metrics.ttft, ev->time - c->arrival);
      s->metrics.prompt_tokens += c->prompt_tokens;
      s->metrics.prefix_queries += c->prompt_tokens;
    } else {
      eng_hist_observe(&s->metrics.itl, ev->time - c->last);
      eng_hist_observe(&s->metrics.tpot, ev->time - c->last);
    }
    c->last = ev->time;
    c->generated = ev->generated;
    s->metrics.generation_tokens++;
    emit_token(c, index, ev->time, ev->finish);
    if (ev->finish != ENG_FINISH_NONE) call_finish(c, ev->finish);
    break;
  }
  }
}

static void on_step(void *ud, const eng_step_info *st) {
  eng_server *s = ud;
  eng_hist_observe(&s->metrics.iteration_tokens, st->batched_tokens);
}

/* ---- request handlers ------------------------------------------------------- */

static bool served_name(const eng_server *s, const char *name) {
  for (int i = 0; i < s->n_served; i++)
    if (strcmp(s->served[i], name) == 0) return true;
  return false;
}

static void handle_completion(eng_server *s, eng_api api, const http_request *req, http_response *res) {
  eng_request r;
  eng_api_error e;
  if (eng_request_parse(api, req->body, req->body_len, &r, &e)) {
    respond_error(res, e.status, e.type, e.message, NULL);
    return;
  }
  if (r.has_model && !served_name(s, r.model)) {
    char msg[512];
    snprintf(msg, sizeof msg, "The model `%s` does not exist.", r.model);
    respond_error(res, 404, "NotFoundError", msg, "model");
    return;
  }
  int max_len = s->res.max_model_len;
  char msg[512];
  if (r.prompt_tokens >= max_len) {
    snprintf(
        msg, sizeof msg,
        "This model's maximum context length is %d tokens. However, your request has %d input tokens. Please "
        "reduce the length of the input messages.",
        max_len, r.prompt_tokens);
    respond_error(res, 400, "BadRequestError", msg, NULL);
    return;
  }
  if (r.max_tokens > 0 && (int64_t)r.prompt_tokens + r.max_tokens > max_len) {
    snprintf(msg, sizeof msg,
             "This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the "
             "messages, %d in the completion). Please reduce the length of the messages or completion.",
             max_len, r.prompt_tokens + r.max_tokens, r.prompt_tokens, r.max_tokens);
    respond_error(res, 400, "BadRequestError", msg, NULL);
    return;
  }
  /* Requests still crossing the frontend count as waiting unless a running
   * slot is free for them. */
  int queued = eng_model_waiting(s->model) + eng_model_frontend(s->model);
  int free_slots = s->res.model.max_num_seqs - eng_model_running(s->model);
  int waiting = queued - (free_slots > 0 ? free_slots : 0);
  if (s->opt.max_waiting >= 0 && waiting >= s->opt.max_waiting) {
    snprintf(msg, sizeof msg, "The server is overloaded: %d requests are waiting (--max-waiting %d).",
             waiting, s->opt.max_waiting);
    http_response_header(res, "Retry-After", "1");
    respond_error(res, 429, "TooManyRequestsError", msg, NULL);
    return;
  }
  if (s->error_rate > 0 && uniform(&s->rng) < s->error_rate) {
    respond_error(res, 500, "InternalServerError", "injected fault: request failed (error_rate)", NULL);
    return;
  }
  eng_call *c = sw_xcalloc(1, sizeof *c);
  c->s = s;
  c->res = res;
  c->api = api;
  c->stream = r.stream;
  c->include_usage = r.include_usage;
  c->prompt_tokens = r.prompt_tokens;
  c->created = (long long)time(NULL);
  c->text_seed = splitmix(&s->rng);
  /* vLLM: request id from X-Request-Id when given, else a random uuid hex. */
  const char *rid = http_request_header(req, "X-Request-Id");
  const char *prefix = api == ENG_API_CHAT ? "chatcmpl-" : "cmpl-";
  if (rid && *rid && strlen(rid) < 64)
    snprintf(c->id, sizeof c->id, "%s%s", prefix, rid);
  else
    snprintf(c->id, sizeof c->id, "%s%016llx%016llx", prefix, (unsigned long long)splitmix(&s->rng),
             (unsigned long long)splitmix(&s->rng));
  eng_finish finish;
  if (r.max_tokens > 0) {
    c->max_tokens = c->target = r.max_tokens;
    finish = ENG_FINISH_LENGTH;
  } else {
    /* No max_tokens: vLLM allows max_model_len - prompt; the model "stops" at
     * a length drawn from the profile. */
    c->max_tokens = max_len - r.prompt_tokens;
    double u1 = uniform(&s->rng), u2 = uniform(&s->rng);
    c->target = eng_profile_sample_output(&s->prof, u1, u2, c->max_tokens);
    finish = c->target >= c->max_tokens ? ENG_FINISH_LENGTH : ENG_FINISH_STOP;
  }
  c->next = s->calls;
  if (s->calls) s->calls->prev = c;
  s->calls = c;
  s->n_calls++;
  http_response_header(res, "X-Request-Id", c->id + strlen(prefix));
  http_response_on_close(res, on_client_gone, c);
  if (c->stream) {
    stream_template(c);
    http_stream_begin(res, 200, "text/event-stream; charset=utf-8");
  }
  c->arrival = model_now(s);
  c->mreq = eng_model_add(s->model, c, c->arrival, c->prompt_tokens, c->target, finish);
  SW_DEBUG(LOG, "%s: %s prompt=%d target=%d stream=%d", c->id, api == ENG_API_CHAT ? "chat" : "completion",
           c->prompt_tokens, c->target, c->stream);
  drive(s);
}

static void handle_models(eng_server *s, http_response *res) {
  json_t *data = json_array();
  for (int i = 0; i < s->n_served; i++) {
    json_t *perm =
        json_pack("{s:s, s:s, s:I, s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:n, s:b}", "id", "modelperm-spillway",
                  "object", "model_permission", "created", (json_int_t)s->metrics.created,
                  "allow_create_engine", 0, "allow_sampling", 1, "allow_logprobs", 1, "allow_search_indices",
                  0, "allow_view", 1, "allow_fine_tuning", 0, "organization", "*", "group", "is_blocking", 0);
    json_array_append_new(data, json_pack("{s:s, s:s, s:I, s:s, s:s, s:n, s:i, s:[o]}", "id", s->served[i],
                                          "object", "model", "created", (json_int_t)s->metrics.created,
                                          "owned_by", "vllm", "root", s->root_model, "parent",
                                          "max_model_len", s->res.max_model_len, "permission", perm));
  }
  respond_json(res, 200, json_pack("{s:s, s:o}", "object", "list", "data", data));
}

static void util_sample(eng_server *s);

static void handle_metrics(eng_server *s, http_response *res) {
  util_sample(s);
  eng_gauges g = {.running = eng_model_running(s->model),
                  .waiting = eng_model_waiting(s->model),
                  .kv_usage = eng_model_kv_usage(s->model),
                  .gpu_util_pct = s->gpu_util,
                  .block_size = s->res.model.block_size,
                  .num_gpu_blocks = eng_model_kv_blocks(s->model),
                  .gpu_memory_utilization = s->opt.vllm.gpu_memory_utilization > 0
                                                ? s->opt.vllm.gpu_memory_utilization
                                                : s->prof.gpu_memory_utilization,
                  .gpu_name = s->prof.gpu_name,
                  .gpu_uuid = s->uuid,
                  .hostname = s->hostname};
  s->metrics.preemptions = (double)eng_model_preemptions(s->model);
  sw_buf b;
  sw_buf_init(&b);
  eng_metrics_render(&s->metrics, &g, &b);
  http_respond(res, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
  sw_buf_free(&b);
}

static void crash_now(uv_timer_t *t) {
  (void)t;
  SW_ERROR(LOG, "injected fault: crashing (SIGKILL)");
  kill(getpid(), SIGKILL);
}

/* /health requests held while hung; answered when the hang clears. */
typedef struct held_health {
  eng_server *s;
  http_response *res;
} held_health;

static void release_health(eng_server *s) {
  for (size_t i = 0; i < s->held_health.len; i++) {
    http_respond(s->held_health.items[i]->res, 200, NULL, "", 0);
    free(s->held_health.items[i]);
  }
  s->held_health.len = 0;
}

static void on_health_gone(void *ud) {
  held_health *h = ud;
  eng_server *s = h->s;
  for (size_t i = 0; i < s->held_health.len; i++)
    if (s->held_health.items[i] == h) {
      s->held_health.items[i] = s->held_health.items[--s->held_health.len];
      break;
    }
  free(h);
}

static void set_hang(eng_server *s, bool on) {
  if (on == s->hung) return;
  if (on) {
    s->hang_start = sw_mono_now();
    s->hung = true;
    arm(s, INFINITY);
    SW_WARN(LOG, "injected fault: hung (no steps, /health does not answer)");
  } else {
    s->paused_total += sw_mono_now() - s->hang_start;
    s->hung = false;
    SW_WARN(LOG, "injected fault cleared: resuming");
    release_health(s);
    drive(s);
  }
}

static json_t *fault_state(const eng_server *s) {
  return json_pack("{s:b, s:f, s:f}", "hang", s->hung, "slowdown", s->slowdown, "error_rate", s->error_rate);
}

static void handle_fault(eng_server *s, const http_request *req, http_response *res) {
  if (strcmp(req->method, "GET") == 0) {
    respond_json(res, 200, fault_state(s));
    return;
  }
  json_error_t je;
  json_t *j = json_loadb(req->body, req->body_len, 0, &je);
  if (!json_is_object(j)) {
    json_decref(j);
    respond_error(res, 400, "BadRequestError",
                  "expected a JSON object: {\"crash\": true} | {\"hang\": bool} | {\"slowdown\": factor} | "
                  "{\"error_rate\": fraction} | {\"clear\": true}",
                  NULL);
    return;
  }
  json_t *v;
  const char *bad = NULL;
  if ((v = json_object_get(j, "slowdown")) && !(json_is_number(v) && json_number_value(v) > 0))
    bad = "slowdown: expected a number > 0";
  if ((v = json_object_get(j, "error_rate")) &&
      !(json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1))
    bad = "error_rate: expected a fraction in [0, 1]";
  if ((v = json_object_get(j, "hang")) && !json_is_boolean(v)) bad = "hang: expected true or false";
  if (bad) {
    json_decref(j);
    respond_error(res, 400, "BadRequestError", bad, NULL);
    return;
  }
  if (json_is_true(json_object_get(j, "clear"))) {
    s->slowdown = 1;
    s->error_rate = 0;
    eng_model_set_slowdown(s->model, 1);
    set_hang(s, false);
  }
  if ((v = json_object_get(j, "slowdown"))) {
    s->slowdown = json_number_value(v);
    eng_model_set_slowdown(s->model, s->slowdown);
    SW_WARN(LOG, "injected fault: steps %.2fx slower", s->slowdown);
  }
  if ((v = json_object_get(j, "error_rate"))) {
    s->error_rate = json_number_value(v);
    SW_WARN(LOG, "injected fault: %.0f%% of requests fail", s->error_rate * 100);
  }
  if ((v = json_object_get(j, "hang"))) set_hang(s, json_is_true(v));
  bool crash = json_is_true(json_object_get(j, "crash"));
  json_decref(j);
  respond_json(res, 200, fault_state(s));
  if (crash) {
    uv_timer_init(s->loop, &s->crash_timer);
    uv_timer_start(&s->crash_timer, crash_now, 50, 0);
  }
}

static void handler(void *ud, const http_request *req, http_response *res) {
  eng_server *s = ud;
  const char *p = req->path;
  bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
  bool post = strcmp(req->method, "POST") == 0;
  SW_DEBUG(LOG, "%s %s %s", req->remote_addr, req->method, req->url);
  if (strcmp(p, "/v1/chat/completions") == 0 || strcmp(p, "/v1/completions") == 0) {
    if (!post) goto not_allowed;
    handle_completion(s, p[4] == 'c' && p[5] == 'h' ? ENG_API_CHAT : ENG_API_COMPLETIONS, req, res);
  } else if (strcmp(p, "/v1/models") == 0) {
    if (!get) goto not_allowed;
    handle_models(s, res);
  } else if (strcmp(p, "/health") == 0) {
    if (!get) goto not_allowed;
    if (s->hung) { /* a hung engine does not answer */
      held_health *hh = sw_xcalloc(1, sizeof *hh);
      hh->s = s;
      hh->res = res;
      sw_vec_push(&s->held_health, hh);
      http_response_on_close(res, on_health_gone, hh);
      return;
    }
    http_respond(res, 200, NULL, "", 0);
  } else if (strcmp(p, "/metrics") == 0) {
    if (!get) goto not_allowed;
    handle_metrics(s, res);
  } else if (strcmp(p, "/version") == 0) {
    if (!get) goto not_allowed;
    respond_json(res, 200, json_pack("{s:s}", "version", "0.10.2+spillway." SPILLWAY_VERSION));
  } else if (strcmp(p, "/admin/fault") == 0 && s->opt.enable_faults) {
    if (!get && !post) goto not_allowed;
    handle_fault(s, req, res);
  } else {
    respond_json(res, 404, json_pack("{s:s}", "detail", "Not Found"));
  }
  return;
not_allowed:
  http_response_header(res, "Allow",
                       strcmp(p, "/v1/chat/completions") == 0 || strcmp(p, "/v1/completions") == 0 ? "POST"
                                                                                                   : "GET");
  respond_json(res, 405, json_pack("{s:s}", "detail", "Method Not Allowed"));
}

/* ---- GPU utilisation window --------------------------------------------------- */

/* DCGM reports the busy share of its last sampling interval; here the window
 * is the last ~1 s of real time, measured in model time. */
static void util_sample(eng_server *s) {
  if (!s->model) return;
  double t = model_now(s);
  double busy = eng_model_busy_seconds(s->model, t);
  int n = (int)(sizeof s->util_ring / sizeof s->util_ring[0]);
  /* oldest sample at least ~1 s (real) old, else the oldest we have */
  double window = 1.0 * s->scale;
  int best = -1;
  for (int i = 0; i < s->util_n && i < n; i++)
    if (t - s->util_ring[i].t >= window * 0.8 && (best < 0 || s->util_ring[i].t > s->util_ring[best].t))
      best = i;
  if (best < 0)
    for (int i = 0; i < s->util_n && i < n; i++)
      if (best < 0 || s->util_ring[i].t < s->util_ring[best].t) best = i;
  if (best >= 0 && t > s->util_ring[best].t) {
    double u = (busy - s->util_ring[best].busy) / (t - s->util_ring[best].t) * 100.0;
    s->gpu_util = u < 0 ? 0 : u > 100 ? 100 : u;
  }
}

static void on_util_timer(uv_timer_t *tm) {
  eng_server *s = tm->data;
  if (s->hung) return;
  util_sample(s);
  int n = (int)(sizeof s->util_ring / sizeof s->util_ring[0]);
  double t = model_now(s);
  s->util_ring[s->util_n % n].t = t;
  s->util_ring[s->util_n % n].busy = eng_model_busy_seconds(s->model, t);
  s->util_n++;
}

/* ---- lifecycle --------------------------------------------------------------- */

static void close_handle(uv_handle_t *h, bool *have) {
  if (*have && !uv_is_closing(h)) uv_close(h, NULL);
  *have = false;
}

/* Everything in flight is done (or the grace ran out): close our handles so
 * the loop ends once the HTTP connections have flushed. */
static void stop_all(eng_server *s) {
  if (s->stopped) return;
  s->stopped = true;
  if (s->http) http_server_close(s->http);
  s->http = NULL;
  close_handle((uv_handle_t *)&s->tpoll, &s->have_tpoll);
  close_handle((uv_handle_t *)&s->util_timer, &s->have_util);
  close_handle((uv_handle_t *)&s->grace_timer, &s->have_grace);
  close_handle((uv_handle_t *)&s->startup_timer, &s->have_startup);
  close_handle((uv_handle_t *)&s->sigterm, &s->have_sigterm);
  close_handle((uv_handle_t *)&s->sigint, &s->have_sigint);
  release_health(s);
}

static void maybe_stop(eng_server *s) {
  if (s->draining && s->n_calls == 0) {
    SW_INFO(LOG, "drained: every request in flight finished; exiting");
    stop_all(s);
  }
}

static void on_grace(uv_timer_t *t) {
  eng_server *s = t->data;
  SW_WARN(LOG, "shutdown grace (%.0f s model time) over with %zu requests in flight; aborting them",
          s->opt.shutdown_grace, s->n_calls);
  while (s->calls) {
    eng_call *c = s->calls;
    if (c->mreq) eng_model_abort(s->model, c->mreq, model_now(s));
    c->mreq = NULL;
    if (c->stream)
      http_stream_end(c->res);
    else
      respond_error(c->res, 503, "ServiceUnavailableError", "the engine is shutting down", NULL);
    s->metrics.success[ENG_FINISH_ABORT]++;
    call_unlink_free(c);
  }
  stop_all(s);
}

static void on_signal(uv_signal_t *h, int signum) {
  eng_server *s = h->data;
  if (!s->loaded) {
    SW_INFO(LOG, "%s during startup: exiting", strsignal(signum));
    stop_all(s);
    return;
  }
  if (s->draining) {
    SW_WARN(LOG, "second %s: stopping now", strsignal(signum));
    on_grace(&s->grace_timer);
    return;
  }
  s->draining = true;
  SW_INFO(LOG, "%s: no new connections; finishing %zu requests in flight (grace %.0f s model time)",
          strsignal(signum), s->n_calls, s->opt.shutdown_grace);
  /* Stop accepting now; in-flight replies finish with Connection: close. */
  if (s->http) http_server_close(s->http);
  s->http = NULL;
  if (s->hung) set_hang(s, false); /* a draining engine must make progress */
  uv_timer_init(s->loop, &s->grace_timer);
  s->grace_timer.data = s;
  s->have_grace = true;
  uv_timer_start(&s->grace_timer, on_grace, (uint64_t)(s->opt.shutdown_grace / s->scale * 1000.0) + 1, 0);
  maybe_stop(s);
}

static void on_loaded(uv_timer_t *t) {
  eng_server *s = t->data;
  close_handle((uv_handle_t *)&s->startup_timer, &s->have_startup);
  http_server_opts ho = {.max_header_bytes = 64 * 1024,
                         .max_body_bytes = (size_t)s->opt.max_body_bytes,
                         .idle_timeout = 120,
                         .header_timeout = 30};
  sw_err err;
  if (http_server_listen(s->loop, s->opt.host, s->opt.port, &ho, handler, s, &s->http, &err)) {
    SW_ERROR(LOG, "%s", err.msg);
    s->exit_code = 1;
    stop_all(s);
    return;
  }
  http_server_set_error_format(s->http, format_http_error, s);
  s->loaded = true;
  SW_INFO(LOG,
          "serving %s (profile %s) on http://%s:%d: max_model_len=%d kv_cache_tokens=%lld max_num_seqs=%d "
          "time_scale=%g",
          s->served[0], s->prof.name, s->opt.host, http_server_port(s->http), s->res.max_model_len,
          (long long)s->res.kv_cache_tokens, s->res.model.max_num_seqs, s->scale);
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int eng_server_run(const eng_options *opt, sw_err *err) {
  eng_server *s = sw_xcalloc(1, sizeof *s);
  s->opt = *opt;
  s->tfd = -1;
  s->scale = opt->time_scale > 0 ? opt->time_scale : 1;
  s->slowdown = 1;
  s->rng = opt->seed ^ 0x5350494C4C574159ull;
  int rc = 1;
  /* Profile: named, else chosen from the model / served names. */
  const char *model = opt->model;
  if (opt->profile) {
    if (eng_profile_load(opt->profile, &s->prof, err)) goto out;
  } else {
    bool matched;
    const char *probe = model ? model : opt->n_served_names ? opt->served_names[0] : NULL;
    if (eng_profile_for_model(probe, &s->prof, &matched, err)) goto out;
    if (probe && !matched)
      SW_WARN(LOG, "no profile matches model \"%s\"; using %s (pass --profile)", probe, s->prof.name);
  }
  s->root_model = model ? model : s->prof.model;
  for (int i = 0; i < opt->n_served_names; i++) s->served[s->n_served++] = opt->served_names[i];
  if (s->n_served == 0) s->served[s->n_served++] = s->root_model;
  if (eng_profile_resolve(&s->prof, &opt->vllm, &s->res, err)) goto out_prof;
  char why[256];
  s->model = eng_model_new(&s->res.model, why, sizeof why);
  if (!s->model) {
    sw_err_set(err, SW_EINVAL, "engine: %s", why);
    goto out_prof;
  }
  eng_metrics_init(&s->metrics, s->served[0], s->res.max_model_len, s->res.model.max_num_batched_tokens,
                   sw_wall_now());
  for (size_t i = 0; i < N_WORDS; i++) {
    char w[64];
    snprintf(w, sizeof w, " %s", words[i]);
    s->word_json[i] = json_inner(w, &s->word_len[i]);
  }
  gethostname(s->hostname, sizeof s->hostname - 1);
  uint64_t h = splitmix(&(uint64_t){(uint64_t)opt->port * 7919u ^ opt->seed});
  uint64_t h2 = splitmix(&h);
  snprintf(s->uuid, sizeof s->uuid, "GPU-%08x-%04x-%04x-%04x-%012llx", (unsigned)(h >> 32),
           (unsigned)(h >> 16) & 0xffff, (unsigned)h & 0xffff, (unsigned)(h2 >> 48),
           (unsigned long long)(h2 & 0xffffffffffffull));
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  s->loop = sw_xcalloc(1, sizeof *s->loop);
  uv_loop_init(s->loop);
  s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (s->tfd < 0) {
    sw_err_set(err, SW_EIO, "engine: timerfd_create: %s", strerror(errno));
    goto out_loop;
  }
  uv_poll_init(s->loop, &s->tpoll, s->tfd);
  s->tpoll.data = s;
  s->have_tpoll = true;
  uv_poll_start(&s->tpoll, UV_READABLE, on_tick);
  uv_timer_init(s->loop, &s->util_timer);
  s->util_timer.data = s;
  s->have_util = true;
  uv_signal_init(s->loop, &s->sigterm);
  uv_signal_init(s->loop, &s->sigint);
  s->sigterm.data = s->sigint.data = s;
  s->have_sigterm = s->have_sigint = true;
  uv_signal_start(&s->sigterm, on_signal, SIGTERM);
  uv_signal_start(&s->sigint, on_signal, SIGINT);
  s->mono0 = sw_mono_now();
  s->armed = INFINITY;
  s->tnum_for = NAN;
  uv_timer_start(&s->util_timer, on_util_timer, 0, 200);
  double startup = opt->startup_seconds >= 0 ? opt->startup_seconds : s->prof.startup_seconds;
  SW_INFO(LOG, "loading %s (profile %s): the port opens in %.1f s model time (%.3f s real)", s->root_model,
          s->prof.name, startup, startup / s->scale);
  uv_timer_init(s->loop, &s->startup_timer);
  s->startup_timer.data = s;
  s->have_startup = true;
  uv_timer_start(&s->startup_timer, on_loaded, (uint64_t)(startup / s->scale * 1000.0), 0);
  uv_run(s->loop, UV_RUN_DEFAULT);
  rc = s->exit_code;
  if (rc) sw_err_set(err, SW_EIO, "engine: could not serve (see the log)");
out_loop:
  if (s->have_tpoll || s->have_util || s->have_sigterm || s->have_sigint || s->have_startup ||
      s->have_grace) {
    stop_all(s);
    uv_run(s->loop, UV_RUN_DEFAULT);
  }
  if (uv_loop_close(s->loop) != 0) SW_WARN(LOG, "handles left open at exit");
  free(s->loop);
  if (s->tfd >= 0) close(s->tfd);
  for (size_t i = 0; i < N_WORDS; i++) free(s->word_json[i]);
  eng_metrics_free(&s->metrics);
  while (s->calls) call_unlink_free(s->calls);
  eng_model_free(s->model);
  sw_vec_free(&s->held_health);
out_prof:
  eng_profile_free(&s->prof);
out:
  free(s);
  return rc;
}
