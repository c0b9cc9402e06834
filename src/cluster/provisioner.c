/*
 * provisioner.c — scale-up and scale-down decisions for elastic node pools.
 * Pure: no I/O, no clock, no globals (see provisioner.h for the semantics).
 */
#include "cluster/provisioner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sw.h"
#include "cluster/spec.h"

/* Nodes planned in this pass (not real yet): their pool and free GPUs. */
typedef struct vnode {
  size_t pool;
  int gpus_free;
} vnode;

/* Unit counts are shared by the pods of one policy (same units pointer), so
 * planning pods into a unit uses up its max for the next ones. */
typedef struct unit_counts {
  const cluster_place_unit *units;
  int *count;
} unit_counts;

typedef SW_VEC(vnode) vnode_vec;
typedef SW_VEC(unit_counts) uc_vec;
typedef SW_VEC(char *) str_vec;

enum { W_STATIC, W_SELECTOR, W_TOO_SMALL, W_MAX, W_INVENTORY, W_UNIT_MAX, W_NO_POOL, W_N };

static int *counts_for(uc_vec *ucs, const cluster_prov_pod *pod) {
  for (size_t i = 0; i < ucs->len; i++)
    if (ucs->items[i].units == pod->units) return ucs->items[i].count;
  unit_counts uc = {pod->units, sw_xcalloc(pod->nunits ? pod->nunits : 1, sizeof(int))};
  for (size_t u = 0; u < pod->nunits; u++) uc.count[u] = pod->units[u].count;
  sw_vec_push(ucs, uc);
  return uc.count;
}

static void add_note(str_vec *notes, const char *s) {
  for (size_t i = 0; i < notes->len; i++)
    if (strcmp(notes->items[i], s) == 0) return;
  sw_vec_push(notes, sw_xstrdup(s));
}

void cluster_prov_plan_compute(const cluster_prov_input *in, cluster_prov_plan *out) {
  memset(out, 0, sizeof *out);
  out->add = sw_xcalloc(in->npools ? in->npools : 1, sizeof *out->add);
  out->pods = sw_xcalloc(in->npods ? in->npods : 1, sizeof *out->pods);
  int *inventory = sw_xcalloc(in->npools ? in->npools : 1, sizeof *inventory);
  int *upfree = sw_xcalloc(in->nnodes ? in->nnodes : 1, sizeof *upfree);
  for (size_t p = 0; p < in->npools; p++) inventory[p] = in->pools[p].inventory;
  for (size_t i = 0; i < in->nnodes; i++) upfree[i] = in->nodes[i].gpus_free;
  vnode_vec vnodes = {0};
  uc_vec ucs = {0};
  str_vec notes = {0};
  size_t *order = sw_xcalloc(in->npools ? in->npools : 1, sizeof *order);
  int *order_unit = sw_xcalloc(in->npools ? in->npools : 1, sizeof *order_unit);

  for (size_t k = 0; k < in->npods; k++) {
    const cluster_prov_pod *pod = &in->pods[k];
    cluster_prov_pod_plan *pp = &out->pods[k];
    pp->pool = -1;
    pp->node = -1;
    int why[W_N] = {0};
    int *ucount = pod->nunits ? counts_for(&ucs, pod) : NULL;
    /* Candidate pools in preference order, each at most once. */
    size_t norder = 0;
    if (pod->nunits) {
      for (size_t u = 0; u < pod->nunits; u++) {
        const cluster_place_unit *unit = &pod->units[u];
        if (!unit->local) continue;
        bool full = unit->max >= 0 && ucount[u] >= unit->max;
        for (size_t p = 0; p < in->npools; p++) {
          if (!cluster_selector_matches(unit->node_selector, in->pools[p].labels)) continue;
          bool seen = false;
          for (size_t j = 0; j < norder; j++) seen |= order[j] == p;
          if (seen) continue;
          if (full) {
            why[W_UNIT_MAX]++;
            continue;
          }
          order_unit[norder] = (int)u;
          order[norder++] = p;
        }
      }
    } else {
      for (size_t p = 0; p < in->npools; p++) {
        order_unit[norder] = -1;
        order[norder++] = p;
      }
    }
    if (norder == 0 && !why[W_UNIT_MAX]) why[W_NO_POOL]++;
    const char *skipped_inventory = NULL;
    for (size_t j = 0; j < norder && pp->pool < 0; j++) {
      size_t p = order[j];
      const cluster_prov_pool *pool = &in->pools[p];
      if (!cluster_selector_matches(pod->node_selector, pool->labels)) {
        why[W_SELECTOR]++;
        continue;
      }
      /* Room on a node already coming up: the pod will land there. */
      for (size_t i = 0; i < in->nnodes && pp->pool < 0; i++) {
        const cluster_prov_node *nd = &in->nodes[i];
        if (nd->pool != p || !nd->upcoming || nd->deleting || upfree[i] < pod->gpus) continue;
        upfree[i] -= pod->gpus;
        pp->pool = (int)p;
        pp->node = (int)i;
        snprintf(pp->message, sizeof pp->message,
                 "pod will fit on node %s, being provisioned in node pool %s", nd->name ? nd->name : "?",
                 pool->name);
      }
      for (size_t v = 0; v < vnodes.len && pp->pool < 0; v++) {
        if (vnodes.items[v].pool != p || vnodes.items[v].gpus_free < pod->gpus) continue;
        vnodes.items[v].gpus_free -= pod->gpus;
        pp->pool = (int)p;
        pp->triggered = true;
      }
      if (pp->pool >= 0) {
        if (ucount && order_unit[j] >= 0) ucount[order_unit[j]]++;
        break;
      }
      if (!pool->elastic) {
        why[W_STATIC]++;
        continue;
      }
      if (pool->gpus_per_node < pod->gpus) {
        why[W_TOO_SMALL]++;
        continue;
      }
      if (pool->nodes + out->add[p] >= pool->max_nodes) {
        why[W_MAX]++;
        continue;
      }
      if (inventory[p] == 0) {
        why[W_INVENTORY]++;
        if (!skipped_inventory) skipped_inventory = pool->name;
        continue;
      }
      if (inventory[p] > 0) inventory[p]--;
      out->add[p]++;
      vnode vn = {p, pool->gpus_per_node - pod->gpus};
      sw_vec_push(&vnodes, vn);
      pp->pool = (int)p;
      pp->triggered = true;
      if (ucount && order_unit[j] >= 0) ucount[order_unit[j]]++;
      if (skipped_inventory) {
        char b[256];
        snprintf(b, sizeof b, "node pool %s has no inventory left; trying node pool %s", skipped_inventory,
                 pool->name);
        add_note(&notes, b);
      }
    }
    if (pp->pool < 0) {
      if (skipped_inventory) {
        char b[256];
        snprintf(b, sizeof b, "node pool %s has no inventory left", skipped_inventory);
        add_note(&notes, b);
      }
      static const char *const text[W_N] = {
          [W_STATIC] = "node pool(s) are static",
          [W_SELECTOR] = "node pool(s) didn't match Pod's node affinity/selector",
          [W_TOO_SMALL] = "node pool(s) have too few GPUs per node",
          [W_MAX] = "max node group size reached",
          [W_INVENTORY] = "node pool(s) out of inventory",
          [W_UNIT_MAX] = "node pool(s) in ResourcePolicy units that reached their max",
          [W_NO_POOL] = "no node pool matches the ResourcePolicy units",
      };
      size_t off = (size_t)snprintf(pp->message, sizeof pp->message, "pod didn't trigger scale-up:");
      bool first = true;
      for (int w = 0; w < W_N && off < sizeof pp->message; w++) {
        if (!why[w]) continue;
        if (w == W_NO_POOL)
          off += (size_t)snprintf(pp->message + off, sizeof pp->message - off, "%s %s", first ? "" : ",",
                                  text[w]);
        else
          off += (size_t)snprintf(pp->message + off, sizeof pp->message - off, "%s %d %s", first ? "" : ",",
                                  why[w], text[w]);
        first = false;
      }
      if (first && off < sizeof pp->message)
        snprintf(pp->message + off, sizeof pp->message - off, " no node pools");
    }
  }
  /* Scale-up messages name the group's final size, as cluster-autoscaler's. */
  for (size_t k = 0; k < in->npods; k++) {
    cluster_prov_pod_plan *pp = &out->pods[k];
    if (!pp->triggered) continue;
    const cluster_prov_pool *pool = &in->pools[pp->pool];
    snprintf(pp->message, sizeof pp->message, "pod triggered scale-up: [{%s %d->%d (max: %d)}]", pool->name,
             pool->nodes, pool->nodes + out->add[pp->pool], pool->max_nodes);
  }

  /* Scale-down of empty nodes. */
  int *remaining = sw_xcalloc(in->npools ? in->npools : 1, sizeof *remaining);
  for (size_t p = 0; p < in->npools; p++) remaining[p] = in->pools[p].nodes + out->add[p];
  SW_VEC(size_t) rm = {0};
  for (size_t i = 0; i < in->nnodes; i++) {
    const cluster_prov_node *nd = &in->nodes[i];
    if (nd->pool >= in->npools) continue;
    const cluster_prov_pool *pool = &in->pools[nd->pool];
    if (!pool->elastic || nd->upcoming || nd->deleting || nd->pods > 0 || nd->empty_since < 0) continue;
    if (in->now - nd->empty_since < in->unneeded_seconds) continue;
    if (remaining[nd->pool] <= pool->min_nodes) continue;
    remaining[nd->pool]--;
    sw_vec_push(&rm, i);
  }
  out->remove = rm.items;
  out->nremove = rm.len;
  out->notes = notes.items;
  out->nnotes = notes.len;
  free(remaining);
  for (size_t i = 0; i < ucs.len; i++) free(ucs.items[i].count);
  sw_vec_free(&ucs);
  sw_vec_free(&vnodes);
  free(order);
  free(order_unit);
  free(inventory);
  free(upfree);
}

void cluster_prov_plan_free(cluster_prov_plan *plan) {
  if (!plan) return;
  free(plan->add);
  free(plan->pods);
  free(plan->remove);
  for (size_t i = 0; i < plan->nnotes; i++) free(plan->notes[i]);
  free(plan->notes);
  memset(plan, 0, sizeof *plan);
}
