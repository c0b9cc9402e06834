/*
 * server.h — `spillway engine`'s server: the OpenAI API and /metrics on
 * net/http_server, driving the latency model (model.h) in real time scaled
 * by --time-scale.
 */
#ifndef ENGINE_SERVER_H
#define ENGINE_SERVER_H

#include "base/sw.h"
#include "engine/args.h"

/* Runs the engine until SIGTERM/SIGINT (graceful: stop accepting, finish
 * everything in flight, bounded by --shutdown-grace model seconds) or a
 * fault-injected crash. Returns the process exit code: 0 after a clean
 * shutdown, 1 when it could not start (err says why). */
int eng_server_run(const eng_options *opt, sw_err *err);

#endif
