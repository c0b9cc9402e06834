/* libFuzzer target for src/net/http_server.c: arbitrary bytes arrive on one
 * connection of a live server (a socketpair end adopted by it). The handler
 * answers whole, streams, or answers later, so every reply path meets every
 * parser state. Must never crash, leak, or leave the connection open. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static http_server *srv;

static void handler(void *ud, const http_request *req, http_response *res) {
  (void)ud;
  const char *q = http_request_query(req, "x");
  const char *h = http_request_header(req, "X-Mode");
  http_response_header(res, "X-Echo", q ? q : "-");
  if (h && strcmp(h, "stream") == 0) {
    http_stream_begin(res, 200, "text/plain");
    http_stream_write(res, req->body, req->body_len);
    http_stream_write(res, req->path, strlen(req->path));
    http_stream_end(res);
  } else {
    http_respond(res, 200, "text/plain", req->body, req->body_len);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!srv) {
    uv_loop_init(&loop);
    http_server_opts o = {
        .max_header_bytes = 4096, .max_body_bytes = 65536, .header_timeout = 5, .idle_timeout = 5};
    sw_err err;
    if (http_server_listen(&loop, "127.0.0.1", 0, &o, handler, NULL, &srv, &err) != 0) abort();
  }
  if (size > 200000) return 0;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 0;
  int big = 1 << 20;
  setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  sw_err err;
  if (http_server_adopt(srv, sv[0], &err) != 0) abort();
  size_t off = 0;
  /* Feed in two pieces so parser state crosses a read boundary. */
  size_t cut = size ? data[0] % (size + 1) : 0;
  while (off < size) {
    size_t end = off < cut ? cut : size;
    ssize_t w = send(sv[1], data + off, end - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) off += (size_t)w;
    uv_run(&loop, UV_RUN_NOWAIT);
    if (w <= 0) {
      char sink[65536];
      while (recv(sv[1], sink, sizeof sink, MSG_DONTWAIT) > 0) {
      }
      if (http_server_connections(srv) == 0) break;
    }
  }
  shutdown(sv[1], SHUT_WR);
  char sink[65536];
  for (int i = 0; i < 10000 && http_server_connections(srv) > 0; i++) {
    uv_run(&loop, UV_RUN_NOWAIT);
    while (recv(sv[1], sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
  }
  if (http_server_connections(srv) != 0) abort(); /* a connection outlived its client */
  close(sv[1]);
  return 0;
}
