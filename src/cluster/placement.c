/*
 * placement.c — the in-cluster scheduler's filter and score for GPU pods, and
 * the scale-in victim order. Pure: no I/O, no clock, no globals.
 */
#include "cluster/placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sw.h"
#include "cluster/spec.h"

int cluster_unit_of(const cluster_place_unit *units, size_t nunits, const json_t *node_labels) {
  for (size_t u = 0; u < nunits; u++)
    if (units[u].local && cluster_selector_matches(units[u].node_selector, node_labels)) return (int)u;
  return -1;
}

/* Filter reasons, in the alphabetical order kube-scheduler prints them. */
enum { R_GPU, R_NOTREADY, R_SELECTOR, R_UNIT_MAX, R_NO_UNIT, R_UNSCHEDULABLE, R_N };
static const char *const reason_text[R_N] = {
    [R_GPU] = "Insufficient nvidia.com/gpu",
    [R_NOTREADY] = "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
    [R_SELECTOR] = "node(s) didn't match Pod's node affinity/selector",
    [R_UNIT_MAX] = "node(s) in ResourcePolicy units that reached their max",
    [R_NO_UNIT] = "node(s) didn't match any ResourcePolicy unit",
    [R_UNSCHEDULABLE] = "node(s) were unschedulable",
};

static int cmp_reason(const void *a, const void *b) {
  return strcmp(reason_text[*(const int *)a], reason_text[*(const int *)b]);
}

int cluster_place(const cluster_place_node *nodes, size_t n, const cluster_place_req *req,
                  cluster_place_result *result) {
  result->node = -1;
  result->unit = -1;
  result->message[0] = 0;
  int counts[R_N] = {0};
  /* With a policy, units are tried in order and the first with a fitting
   * node wins (strategy prefer). Without one, all nodes form one group. */
  size_t groups = req->nunits ? req->nunits : 1;
  int *node_unit = sw_xcalloc(n ? n : 1, sizeof *node_unit);
  for (size_t i = 0; i < n; i++)
    node_unit[i] = req->nunits ? cluster_unit_of(req->units, req->nunits, nodes[i].labels) : 0;
  for (size_t g = 0; g < groups && result->node < 0; g++) {
    if (req->nunits) {
      const cluster_place_unit *u = &req->units[g];
      if (!u->local) continue;
      if (u->max >= 0 && u->count >= u->max) continue;
    }
    int best = -1, best_free = 0;
    for (size_t i = 0; i < n; i++) {
      const cluster_place_node *nd = &nodes[i];
      if (node_unit[i] != (int)g) continue;
      if (!nd->schedulable || !nd->ready) continue;
      if (!cluster_selector_matches(req->node_selector, nd->labels)) continue;
      int free_after = nd->gpus_allocatable - nd->gpus_used - req->gpus;
      if (free_after < 0) continue;
      if (best < 0 || free_after < best_free) {
        best = (int)i;
        best_free = free_after;
      }
    }
    if (best >= 0) {
      result->node = best;
      result->unit = req->nunits ? (int)g : -1;
    }
  }
  if (result->node >= 0) {
    free(node_unit);
    return result->node;
  }
  /* Explain, one reason per node: the first filter that rejected it. */
  for (size_t i = 0; i < n; i++) {
    const cluster_place_node *nd = &nodes[i];
    if (!nd->schedulable)
      counts[R_UNSCHEDULABLE]++;
    else if (!nd->ready)
      counts[R_NOTREADY]++;
    else if (!cluster_selector_matches(req->node_selector, nd->labels))
      counts[R_SELECTOR]++;
    else if (req->nunits && node_unit[i] < 0)
      counts[R_NO_UNIT]++;
    else if (req->nunits && req->units[node_unit[i]].max >= 0 &&
             req->units[node_unit[i]].count >= req->units[node_unit[i]].max)
      counts[R_UNIT_MAX]++;
    else
      counts[R_GPU]++;
  }
  free(node_unit);
  if (n == 0) {
    snprintf(result->message, sizeof result->message, "0/0 nodes are available: no nodes in the cluster.");
    return -1;
  }
  int order[R_N];
  for (int r = 0; r < R_N; r++) order[r] = r;
  qsort(order, R_N, sizeof order[0], cmp_reason);
  size_t off = (size_t)snprintf(result->message, sizeof result->message, "0/%zu nodes are available:", n);
  bool first = true;
  for (int k = 0; k < R_N && off < sizeof result->message; k++) {
    int r = order[k];
    if (!counts[r]) continue;
    off += (size_t)snprintf(result->message + off, sizeof result->message - off, "%s %d %s", first ? "" : ",",
                            counts[r], reason_text[r]);
    first = false;
  }
  if (off < sizeof result->message) snprintf(result->message + off, sizeof result->message - off, ".");
  return -1;
}

static int cmp_victim(const void *pa, const void *pb) {
  const cluster_victim *a = pa, *b = pb;
  if (a->scheduled != b->scheduled) return a->scheduled ? 1 : -1;
  if (a->unit != b->unit) {
    /* -1 (no unit) sorts before every unit; higher units before lower ones */
    if (a->unit < 0) return -1;
    if (b->unit < 0) return 1;
    return a->unit > b->unit ? -1 : 1;
  }
  if (a->ready != b->ready) return a->ready ? 1 : -1;
  if (a->created != b->created) return a->created > b->created ? -1 : 1;
  int c = strcmp(a->name ? a->name : "", b->name ? b->name : "");
  if (c) return c;
  return a->index < b->index ? -1 : a->index > b->index;
}

void cluster_victims_sort(cluster_victim *v, size_t n) {
  if (n > 1) qsort(v, n, sizeof *v, cmp_victim);
}
