/* libFuzzer target for src/cluster spec.c and resourcepolicy.c: Cluster
 * objects, pod templates and ResourcePolicy objects arrive from manifests
 * (outside input). The bytes are JSON; when they parse, the object is read as
 * each of the three (and its "template" member as a pod template), and
 * placement runs over a node labelled with the object's labels. Must never
 * crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/placement.h"
#include "cluster/resourcepolicy.h"
#include "cluster/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *obj = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
  if (!obj) return 0;
  sw_err err;
  cluster_spec cs;
  if (cluster_spec_parse(obj, &cs, &err) == 0) cluster_spec_free(&cs);
  cluster_template t;
  if (cluster_template_parse(obj, &t, &err) == 0) cluster_template_free(&t);
  const json_t *tmpl = json_object_get(json_object_get(obj, "spec"), "template");
  if (tmpl && cluster_template_parse(tmpl, &t, &err) == 0) {
    /* place it on a node that carries the template's own labels */
    cluster_place_node n = {"n", t.node_selector, 4, 1, true, true};
    cluster_place_req req = {t.gpus, t.node_selector, NULL, 0};
    cluster_place_result res;
    cluster_place(&n, 1, &req, &res);
    cluster_template_free(&t);
  }
  json_t *warn = json_array();
  cluster_rp rp;
  if (cluster_rp_parse(obj, &rp, warn, &err) == 0) {
    cluster_place_unit u[8];
    size_t nu = rp.nunits < 8 ? rp.nunits : 8;
    for (size_t i = 0; i < nu; i++)
      u[i] = (cluster_place_unit){rp.units[i].node_selector, rp.units[i].max, 0, rp.units[i].local};
    cluster_place_node n = {"n", nu ? rp.units[0].node_selector : NULL, 1, 0, true, true};
    cluster_place_req req = {1, NULL, u, nu};
    cluster_place_result res;
    cluster_place(&n, 1, &req, &res);
    cluster_rp_selects(&rp, "default", rp.selector);
    cluster_rp_free(&rp);
  }
  json_decref(warn);
  json_t *arr = json_pack("[O]", obj);
  cluster_rp_select(arr, "default", json_object_get(json_object_get(obj, "metadata"), "labels"));
  json_decref(arr);
  cluster_selector_matches(obj, obj);
  cluster_quantity_int(obj);
  json_decref(obj);
  return 0;
}
