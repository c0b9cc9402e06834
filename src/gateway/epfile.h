/*
 * epfile.h — the standalone gateway's endpoints file (YAML or JSON) and the
 * Prometheus gauges it reads from each replica.
 *
 * Role in the data flow: the static stand-in for the control plane's
 * endpoint watch (`spillway gateway --endpoints FILE`). The file is untrusted
 * input: parsing is pure, bounded (depth, node count, aliases) and every
 * error names the file, the line, the field path and what was expected.
 *
 *   endpoints:
 *   - model: qwen3-0.6b          # required
 *     address: 127.0.0.1:8001    # host:port, [v6]:port or http://host:port;
 *                                # omitted = the model exists but has no replica yet
 *     cluster: cluster1          # default "default"
 *     priority: 0                # lower = preferred (default 0)
 *     pod: test/qwen3-abc        # default: the address
 *     ready: true                # default true
 *     terminating: false         # default false
 *     metricsPath: /metrics      # default /metrics
 *
 * A top-level list (without `endpoints:`) is accepted too.
 */
#ifndef GW_EPFILE_H
#define GW_EPFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/sw.h"

typedef struct gw_file_ep {
  char *model, *pod, *cluster, *host, *metrics_path; /* host NULL: no replica */
  int port, priority;
  bool ready, terminating;
  int line; /* where it was declared (0 for JSON) */
} gw_file_ep;

typedef struct gw_epfile {
  gw_file_ep *items;
  size_t n;
  char **warnings; /* unknown fields etc., "file:line: ..." */
  size_t n_warnings;
} gw_epfile;

/* Parses text (YAML, or JSON when it starts with '{' or '['). name is used
 * in messages. On error out is left empty. */
int gw_epfile_parse(const char *text, size_t len, const char *name, gw_epfile *out, sw_err *err);
/* Reads and parses path, then resolves host names to numeric addresses. */
int gw_epfile_load(const char *path, gw_epfile *out, sw_err *err);
void gw_epfile_free(gw_epfile *f);

/* Splits "host:port", "[v6]:port", "http://host:port[/]"; false if malformed.
 * host receives at most hostn-1 bytes. */
bool gw_parse_address(const char *s, char *host, size_t hostn, int *port);

/* The load gauges of one replica's /metrics text: vLLM's
 * vllm:num_requests_waiting / vllm:num_requests_running (summed over series),
 * vllm:kv_cache_usage_perc (or the older vllm:gpu_cache_usage_perc; the
 * maximum over series), and SGLang's equivalents; NaN when absent. The text
 * is read by the project's one exposition-format parser (metrics/promtext):
 * a body it refuses gives -1, err says where, and every gauge is NaN (a
 * replica whose /metrics cannot be read is routed as one that reports no
 * load, not by half a document). */
typedef struct gw_load {
  double waiting, running, kv;
} gw_load;
int gw_prom_load(const char *text, size_t len, gw_load *out, sw_err *err);

#endif
