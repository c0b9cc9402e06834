/*
 * streamload.c — the engine benchmark's load generator (built by bench.py
 * with cc; not part of spillway). Opens streaming /v1/completions requests
 * (prompt = N token ids, max_tokens = M, as `vllm bench serve --dataset-name
 * random` does), in one of three arrival patterns, and measures per request
 * TTFT, TPOT and inter-token latency from the client side, plus the error
 * between the client's inter-token gaps and the engine's model gaps (each
 * chunk carries "spillway_token_time" with --emit-token-times).
 *
 *   streamload PORT closed|poisson|burst [--concurrency C] [--rate R]
 *              [--requests N] [--prompt P] [--output M] [--scale X] [--seed S]
 *              [--hold SECONDS]
 * Prints one JSON object with the summary.
 */
#include <http_parser.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

typedef struct req {
  uv_tcp_t tcp;
  uv_connect_t conn;
  uv_write_t wr;
  http_parser parser;
  char *out;
  size_t out_len;
  double sent, first, last;
  double *recv_t, *model_t, *sent_t;
  int n_tok, cap_tok;
  int status;
  bool done, ok;
  char *sse;
  size_t sse_len, sse_cap;
  char rbuf[65536];
} req;

static uv_loop_t *loop;
static struct sockaddr_in addr;
static req *reqs;
static int n_reqs, started, finished, concurrency, prompt_tokens = 128, output_tokens = 128;
static double rate = 1, scale = 1, t0;
static uint64_t rng = 42;
static double read_time; /* when the current read returned: the arrival time of its events */
static char *mode = "closed";
static uv_timer_t arrival_timer;
static http_parser_settings settings;
static int peak_open, open_now;

static double now_s(void) { return (double)uv_hrtime() / 1e9; }
static double urand(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static void start_one(void);

static void on_closed(uv_handle_t *h) {
  req *r = h->data;
  (void)r;
  open_now--;
  finished++;
  if (!strcmp(mode, "closed") && started < n_reqs) start_one();
  if (finished == n_reqs) uv_stop(loop);
}

static void finish(req *r) {
  if (r->done) return;
  r->done = true;
  if (!uv_is_closing((uv_handle_t *)&r->tcp)) uv_close((uv_handle_t *)&r->tcp, on_closed);
}

/* The numeric field `key` of a compact JSON chunk (the engine's own output;
 * jansson wrote it), or NAN. A scan instead of a parse keeps the client's
 * cost per token small, so its clock reads stay close to the arrival. */
static double num_field(const char *data, size_t len, const char *key) {
  const char *at = memmem(data, len, key, strlen(key));
  return at ? strtod(at + strlen(key), NULL) : NAN;
}

static void on_event(req *r, const char *data, size_t len) {
  if (len == 6 && !memcmp(data, "[DONE]", 6)) return;
  const char *text = memmem(data, len, "\"text\":\"", 8);
  if (!text || text[8] == '"') return; /* usage chunk, or an empty text */
  double t = read_time;
  if (r->n_tok == r->cap_tok) {
    r->cap_tok = r->cap_tok ? r->cap_tok * 2 : 256;
    r->recv_t = realloc(r->recv_t, (size_t)r->cap_tok * sizeof(double));
    r->model_t = realloc(r->model_t, (size_t)r->cap_tok * sizeof(double));
    r->sent_t = realloc(r->sent_t, (size_t)r->cap_tok * sizeof(double));
  }
  r->recv_t[r->n_tok] = t;
  r->model_t[r->n_tok] = num_field(data, len, "\"spillway_token_time\":");
  r->sent_t[r->n_tok] = num_field(data, len, "\"spillway_sent_time\":");
  if (r->n_tok == 0) r->first = t;
  r->last = t;
  r->n_tok++;
}

static int on_body(http_parser *p, const char *at, size_t len) {
  req *r = p->data;
  if (r->sse_len + len > r->sse_cap) {
    r->sse_cap = (r->sse_len + len) * 2;
    r->sse = realloc(r->sse, r->sse_cap);
  }
  memcpy(r->sse + r->sse_len, at, len);
  r->sse_len += len;
  size_t off = 0;
  for (;;) {
    char *end = memmem(r->sse + off, r->sse_len - off, "\n\n", 2);
    if (!end) break;
    const char *ev = r->sse + off;
    size_t evlen = (size_t)(end - ev);
    if (evlen > 6 && !memcmp(ev, "data: ", 6)) on_event(r, ev + 6, evlen - 6);
    off = (size_t)(end - r->sse) + 2;
  }
  memmove(r->sse, r->sse + off, r->sse_len - off);
  r->sse_len -= off;
  return 0;
}

static int on_headers(http_parser *p) {
  req *r = p->data;
  r->status = (int)p->status_code;
  return 0;
}

static int on_complete(http_parser *p) {
  req *r = p->data;
  r->ok = r->status == 200 && r->n_tok == output_tokens;
  finish(r);
  return 0;
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b) {
  req *r = h->data;
  b->base = r->rbuf;
  b->len = sizeof r->rbuf;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  req *r = s->data;
  if (n < 0) {
    finish(r);
    return;
  }
  read_time = now_s();
  http_parser_execute(&r->parser, &settings, b->base, (size_t)n);
  if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK) finish(r);
}

static void on_written(uv_write_t *w, int status) {
  req *r = w->data;
  free(r->out);
  r->out = NULL;
  if (status < 0) finish(r);
}

static void on_connect(uv_connect_t *c, int status) {
  req *r = c->data;
  if (status < 0) {
    fprintf(stderr, "connect: %s\n", uv_strerror(status));
    finish(r);
    return;
  }
  uv_tcp_nodelay(&r->tcp, 1);
  uv_buf_t b = uv_buf_init(r->out, (unsigned)r->out_len);
  r->wr.data = r;
  r->sent = now_s();
  uv_write(&r->wr, (uv_stream_t *)&r->tcp, &b, 1, on_written);
  uv_read_start((uv_stream_t *)&r->tcp, on_alloc, on_read);
}

static void start_one(void) {
  req *r = &reqs[started++];
  open_now++;
  if (open_now > peak_open) peak_open = open_now;
  uv_tcp_init(loop, &r->tcp);
  r->tcp.data = r;
  http_parser_init(&r->parser, HTTP_RESPONSE);
  r->parser.data = r;
  /* Body: a prompt of exactly prompt_tokens token ids, streamed, no EOS. */
  size_t cap = 256 + (size_t)prompt_tokens * 8;
  char *body = malloc(cap);
  size_t n = (size_t)snprintf(body, cap, "{\"prompt\":[");
  for (int i = 0; i < prompt_tokens; i++)
    n += (size_t)snprintf(body + n, cap - n, "%s%d", i ? "," : "", 1000 + i % 5000);
  n += (size_t)snprintf(body + n, cap - n,
                        "],\"max_tokens\":%d,\"stream\":true,\"ignore_eos\":true,\"temperature\":0}",
                        output_tokens);
  r->out = malloc(n + 256);
  r->out_len =
      (size_t)snprintf(r->out, n + 256,
                       "POST /v1/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                       "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
                       n, body);
  free(body);
  r->conn.data = r;
  uv_tcp_connect(&r->conn, &r->tcp, (struct sockaddr *)&addr, on_connect);
}

static void on_arrival(uv_timer_t *t) {
  if (started >= n_reqs) return;
  start_one();
  if (started < n_reqs) {
    double gap = -log(urand()) / rate;
    uv_timer_start(&arrival_timer, on_arrival, (uint64_t)(gap * 1000.0 + 0.5), 0);
  }
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
static double pct(double *v, size_t n, double p) {
  if (!n) return NAN;
  qsort(v, n, sizeof *v, cmp_d);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i];
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: streamload PORT closed|poisson|burst [--concurrency C] [--rate R] [--requests N] "
                    "[--prompt P] [--output M] [--scale X] [--seed S]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  mode = argv[2];
  n_reqs = 100;
  concurrency = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--concurrency"))
      concurrency = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate"))
      rate = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--requests"))
      n_reqs = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--prompt"))
      prompt_tokens = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--output"))
      output_tokens = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--scale"))
      scale = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed"))
      rng = (uint64_t)atoll(argv[i + 1]) * 2654435761u + 1;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  loop = uv_default_loop();
  uv_ip4_addr("127.0.0.1", port, &addr);
  settings.on_headers_complete = on_headers;
  settings.on_body = on_body;
  settings.on_message_complete = on_complete;
  reqs = calloc((size_t)n_reqs, sizeof *reqs);
  t0 = now_s();
  if (!strcmp(mode, "closed")) {
    for (int i = 0; i < concurrency && started < n_reqs; i++) start_one();
  } else if (!strcmp(mode, "burst")) {
    while (started < n_reqs) start_one();
  } else {
    uv_timer_init(loop, &arrival_timer);
    on_arrival(&arrival_timer);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  double dur = now_s() - t0;
  /* Summaries, vllm bench serve style (means over requests). */
  double *ttft = calloc((size_t)n_reqs, sizeof(double)), *tpot = calloc((size_t)n_reqs, sizeof(double));
  size_t n_itl = 0, cap_itl = 1024, n_ok = 0;
  double *itl = malloc(cap_itl * sizeof(double)), *err = malloc(cap_itl * sizeof(double));
  double *serr = malloc(cap_itl * sizeof(double)), *late = malloc(cap_itl * sizeof(double));
  double ttft_sum = 0, tpot_sum = 0, itl_sum = 0;
  long tokens = 0;
  for (int i = 0; i < n_reqs; i++) {
    req *r = &reqs[i];
    tokens += r->n_tok;
    if (!r->ok) continue;
    ttft[n_ok] = (r->first - r->sent) * scale;
    tpot[n_ok] = r->n_tok > 1 ? (r->last - r->first) / (r->n_tok - 1) * scale : 0;
    ttft_sum += ttft[n_ok];
    tpot_sum += tpot[n_ok];
    n_ok++;
    for (int k = 1; k < r->n_tok; k++) {
      if (n_itl == cap_itl) {
        cap_itl *= 2;
        itl = realloc(itl, cap_itl * sizeof(double));
        err = realloc(err, cap_itl * sizeof(double));
        serr = realloc(serr, cap_itl * sizeof(double));
        late = realloc(late, cap_itl * sizeof(double));
      }
      double gap = r->recv_t[k] - r->recv_t[k - 1];
      itl[n_itl] = gap * scale;
      itl_sum += gap * scale;
      double mgap = (r->model_t[k] - r->model_t[k - 1]) / scale;
      err[n_itl] = isnan(mgap) ? NAN : fabs(gap - mgap);
      double sgap = (r->sent_t[k] - r->sent_t[k - 1]) / scale;
      serr[n_itl] = isnan(sgap) || isnan(mgap) ? NAN : fabs(sgap - mgap);
      late[n_itl] = (r->sent_t[k] - r->model_t[k]) / scale;
      n_itl++;
    }
  }
  size_t n_err = 0, n_serr = 0, n_late = 0;
  for (size_t i = 0; i < n_itl; i++) {
    if (!isnan(err[i])) err[n_err++] = err[i];
    if (!isnan(serr[i])) serr[n_serr++] = serr[i];
    if (!isnan(late[i])) late[n_late++] = late[i];
  }
  double med_serr = pct(serr, n_serr, 0.5), p99_serr = pct(serr, n_serr, 0.99);
  double med_late = pct(late, n_late, 0.5), p99_late = pct(late, n_late, 0.99);
  double med_ttft = pct(ttft, n_ok, 0.5), p99_ttft = pct(ttft, n_ok, 0.99);
  double med_err = pct(err, n_err, 0.5), p99_err = pct(err, n_err, 0.99);
  double med_itl = pct(itl, n_itl, 0.5);
  printf("{\"requests\": %d, \"ok\": %zu, \"tokens\": %ld, \"duration_s\": %.3f, \"peak_open\": %d, "
         "\"ttft_mean_ms\": %.3f, \"ttft_median_ms\": %.3f, \"ttft_p99_ms\": %.3f, \"tpot_mean_ms\": %.4f, "
         "\"itl_mean_ms\": %.4f, \"itl_median_ms\": %.4f, \"itl_err_median_ms\": %.4f, \"itl_err_p99_ms\": "
         "%.4f, "
         "\"throughput_rps\": %.3f, \"engine_itl_err_median_ms\": %.4f, \"engine_itl_err_p99_ms\": %.4f, "
         "\"engine_lateness_median_ms\": %.4f, \"engine_lateness_p99_ms\": %.4f}\n",
         n_reqs, n_ok, tokens, dur, peak_open, n_ok ? ttft_sum / (double)n_ok * 1000 : NAN, med_ttft * 1000,
         p99_ttft * 1000, n_ok ? tpot_sum / (double)n_ok * 1000 : NAN,
         n_itl ? itl_sum / (double)n_itl * 1000 : NAN, med_itl * 1000, med_err * 1000, p99_err * 1000,
         (double)n_ok / dur, med_serr * 1000, p99_serr * 1000, med_late * 1000, p99_late * 1000);
  return n_ok == (size_t)n_reqs ? 0 : 1;
}
