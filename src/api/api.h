/*
 * api.h — the resource model: every kind spillway accepts, decoded from YAML
 * or JSON manifests, validated, defaulted as the upstream API does, and
 * encoded back; plus the tables `get` prints and the text `describe` prints.
 *
 * Role in the data flow: the gate between untrusted manifests and the store.
 * Objects are Kubernetes-shaped jansson trees; a kind's C code reads and
 * checks fields but the JSON stays the representation everywhere.
 * Must never: touch the store, sockets or the clock.
 *
 * Errors name the file, the line, the field path and what was expected:
 *   deployment.yaml:12: spec.replicas: expected an integer >= 0, got "two"
 * Unknown fields are warnings ("…: unknown field spec.foo"), never dropped
 * silently and never fatal.
 */
#ifndef API_H
#define API_H

#include <jansson.h>
#include <stdbool.h>

#include "base/sw.h"

typedef struct api_kind {
  const char *kind;            /* "Deployment" */
  const char *plural;          /* "deployments" */
  const char *short_names[4];  /* "deploy", NULL-terminated */
  const char *group;           /* canonical API group ("" for core) */
  const char *version;         /* canonical version */
  const char *alt_groups[4];   /* other groups accepted as aliases (e.g. Karmada/ACK One) */
  bool namespaced;
  bool system;                 /* written by spillway (Pod, Node, Event, ResourceBinding), not users */
} api_kind;

/* By kind, plural or short name, case-insensitive ("fhpa", "FederatedHPA",
 * "federatedhpas"); NULL when unknown. */
const api_kind *api_kind_lookup(const char *name);
/* By apiVersion ("group/version" or "v1") and kind; NULL when unknown. */
const api_kind *api_kind_for(const char *api_version, const char *kind);
const api_kind *const *api_kinds(size_t *n);

/* Values for ${placeholders}: --set name=value first, then the environment. */
typedef struct api_vars {
  const char *const *names;
  const char *const *values;
  size_t n;
  bool use_environment;
} api_vars;

/* Decodes a multi-document YAML or JSON text into a new JSON array of
 * validated, defaulted objects. All or nothing: on any error *out is NULL and
 * err says file:line: field: what was expected. warnings (optional) receives
 * strings. filename is used in messages only. */
int api_decode_manifests(const char *filename, const char *text, size_t len, const api_vars *vars,
                         json_t **out, json_t *warnings, sw_err *err);

/* Validates and defaults one object that arrived as JSON (API server bodies).
 * source names it in messages. */
int api_validate_object(json_t *obj, const char *source, json_t *warnings, sw_err *err);

/* Encoders; the caller frees the string. */
char *api_encode_yaml(const json_t *obj);
char *api_encode_json(const json_t *obj);
/* The precision (significant digits, for JSON_REAL_PRECISION) that writes
 * every real in v so it reads back exactly and no real with more digits than
 * it needs, when all of them need few: the largest of their shortest
 * round-trip precisions (1 when v has none). jansson's default is 17 for
 * all, which shows 0.8 as 0.80000000000000004. */
int api_json_real_precision(const json_t *v);

/* Kubernetes quantities: "500m" -> 0.5, "12Gi" -> 12884901888, "1" -> 1. */
int api_quantity_parse(const char *s, double *out);
/* A JSON string or number holding a quantity; -1 when neither. */
int api_quantity_from_json(const json_t *v, double *out);
void api_quantity_format(double v, char *buf, size_t n); /* "58", "500m", "1.5" */

/* kubectl-style table of objects of one kind (header + one row each). now is
 * for AGE. wide adds the -o wide columns. Caller frees. */
char *api_table(const api_kind *k, const json_t *objs, bool wide, double now);
/* kubectl describe-style text for one object. related (may be NULL) is an
 * object with optional members the caller gathered: "events" (array of Event
 * objects about it), "binding" (its ResourceBinding), "pods" (its pods),
 * "nodes" (a Cluster's Node objects). Caller frees. */
char *api_describe(const api_kind *k, const json_t *obj, const json_t *related, double now);

/* ---- additions (helper A): small shared readers ---------------------------- */

/* Does a LabelSelector ({matchLabels, matchExpressions}) or a plain
 * {key: value} map (Service/ResourcePolicy selectors) select these labels?
 * An empty or NULL selector selects everything, as in Kubernetes. */
bool api_selector_matches(const json_t *selector, const json_t *labels);

/* "app=qwen3,tier=web" (LabelSelector or plain map); caller frees. */
char *api_selector_string(const json_t *selector);

/* The image pull policy Kubernetes defaults for an image reference:
 * "Always" for :latest or no tag, else "IfNotPresent". */
const char *api_default_pull_policy(const char *image);

#endif
