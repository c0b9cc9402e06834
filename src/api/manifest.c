/*
 * manifest.c — the kind table and the two entry points that turn outside
 * input into validated, defaulted objects: api_decode_manifests (files) and
 * api_validate_object (API request bodies).
 *
 * Role in the data flow: between the bytes a user applies and the store.
 * JSON text goes through jansson (exact JSON semantics) and YAML through
 * yaml.c; either way each document then gets its kind looked up by
 * apiVersion + kind, the kind's schema walked (schema.c) and its semantic
 * hook run. All or nothing: one bad document fails the whole file, as
 * `kubectl apply` of a file that does not parse applies nothing.
 * Owns: the kind table (static). Never: the store, sockets, the clock.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"

/* ---- the kind table ---------------------------------------------------------- */

static const api_kind *const KINDS[] = {
    &api_kind_deployment.k,
    &api_kind_service.k,
    &api_kind_propagationpolicy.k,
    &api_kind_federatedhpa.k,
    &api_kind_hpa.k,
    &api_kind_resourcepolicy.k,
    &api_kind_inferenceservice.k,
    &api_kind_cluster.k,
    &api_kind_resourcebinding.k,
    &api_kind_pod.k,
    &api_kind_node.k,
    &api_kind_event.k,
};
#define NKINDS (sizeof KINDS / sizeof KINDS[0])

const api_kind *const *api_kinds(size_t *n) {
  if (n) *n = NKINDS;
  return KINDS;
}

static bool group_matches(const api_kind *k, const char *group, size_t glen) {
  if (strlen(k->group) == glen && strncmp(k->group, group, glen) == 0) return true;
  for (size_t i = 0; i < 4 && k->alt_groups[i]; i++)
    if (strlen(k->alt_groups[i]) == glen && strncmp(k->alt_groups[i], group, glen) == 0) return true;
  return false;
}

const api_kind *api_kind_lookup(const char *name) {
  if (!name || !*name) return NULL;
  /* "federatedhpas.autoscaling.karmada.io": resource.group as kubectl takes it */
  const char *dot = strchr(name, '.');
  size_t n = dot ? (size_t)(dot - name) : strlen(name);
  for (size_t i = 0; i < NKINDS; i++) {
    const api_kind *k = KINDS[i];
    bool hit = (strlen(k->kind) == n && strncasecmp(k->kind, name, n) == 0) ||
               (strlen(k->plural) == n && strncasecmp(k->plural, name, n) == 0);
    for (size_t j = 0; !hit && j < 4 && k->short_names[j]; j++)
      hit = strlen(k->short_names[j]) == n && strncasecmp(k->short_names[j], name, n) == 0;
    if (hit && (!dot || group_matches(k, dot + 1, strlen(dot + 1)))) return k;
  }
  return NULL;
}

const api_kind *api_kind_for(const char *api_version, const char *kind) {
  if (!api_version || !kind) return NULL;
  const char *slash = strrchr(api_version, '/');
  const char *group = slash ? api_version : "";
  size_t glen = slash ? (size_t)(slash - api_version) : 0;
  const char *version = slash ? slash + 1 : api_version;
  for (size_t i = 0; i < NKINDS; i++) {
    const api_kind *k = KINDS[i];
    if (strcmp(k->kind, kind) == 0 && strcmp(k->version, version) == 0 && group_matches(k, group, glen))
      return k;
  }
  return NULL;
}

static void kind_api_versions(const api_kind *k, char *buf, size_t n) {
  size_t used = 0;
  used += (size_t)snprintf(buf, n, "%s%s%s", k->group, *k->group ? "/" : "", k->version);
  for (size_t j = 0; j < 4 && k->alt_groups[j] && used < n; j++)
    used += (size_t)snprintf(buf + used, n - used, " or %s/%s", k->alt_groups[j], k->version);
}

/* ---- validating one object ---------------------------------------------------------- */

static int check_name(api_ctx *c, json_t *obj, const api_kind_def *kd, const char *base) {
  json_t *meta = json_object_get(obj, "metadata");
  const char *name = api_str(meta, "name");
  sw_buf p;
  sw_buf_init(&p);
  sw_buf_puts(&p, base);
  api_path_key(&p, "metadata");
  api_path_key(&p, "name");
  int rc = 0;
  if (!name || !*name) {
    rc = api_fail(c, p.data, "required field is missing (expected the object's name)");
  } else if (kd == &api_kind_service && !api_is_dns1035_label(name)) {
    rc = api_fail(
        c, p.data,
        "expected a DNS-1035 label (at most 63 lowercase letters, digits and '-', starting with a letter "
        "and ending with a letter or digit), got \"%s\"",
        name);
  } else if (kd == &api_kind_cluster && !api_is_dns_label(name)) {
    rc = api_fail(
        c, p.data,
        "expected a DNS-1123 label (at most 63 lowercase letters, digits and '-', starting and ending "
        "with a letter or digit), got \"%s\"",
        name);
  } else if (!api_is_dns_subdomain(name)) {
    rc = api_fail(
        c, p.data,
        "expected a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' and '.', starting and "
        "ending with a letter or digit), got \"%s\"",
        name);
  }
  sw_buf_free(&p);
  return rc;
}

static int validate_one(api_ctx *c, json_t *obj, const char *base) {
  if (!json_is_object(obj)) {
    char got[96];
    api_describe_value(obj, got, sizeof got);
    return api_fail(c, base, "expected a mapping (a Kubernetes object with apiVersion and kind), got %s",
                    got);
  }
  sw_buf path;
  sw_buf_init(&path);
  sw_buf_puts(&path, base);
  size_t blen = path.len;
  int rc = 0;
  const char *av = api_str(obj, "apiVersion"), *kind = api_str(obj, "kind");
  json_t *avv = json_object_get(obj, "apiVersion"), *kv = json_object_get(obj, "kind");
  if (!av || !*av) {
    api_path_key(&path, "apiVersion");
    char got[96];
    api_describe_value(avv, got, sizeof got);
    rc = avv ? api_fail(c, path.data, "expected a string like \"apps/v1\", got %s", got)
             : api_fail(c, path.data, "required field is missing (expected a string like \"apps/v1\")");
    goto out;
  }
  if (!kind || !*kind) {
    api_path_key(&path, "kind");
    char got[96];
    api_describe_value(kv, got, sizeof got);
    rc = kv ? api_fail(c, path.data, "expected a string like \"Deployment\", got %s", got)
            : api_fail(c, path.data, "required field is missing (expected a string like \"Deployment\")");
    goto out;
  }
  const api_kind *k = api_kind_for(av, kind);
  if (!k) {
    const api_kind *same = NULL;
    for (size_t i = 0; i < NKINDS && !same; i++)
      if (strcmp(KINDS[i]->kind, kind) == 0) same = KINDS[i];
    if (same) {
      char want[256];
      kind_api_versions(same, want, sizeof want);
      api_path_key(&path, "apiVersion");
      rc = api_fail(c, path.data, "kind %s is not served under apiVersion \"%s\" (expected %s)", kind, av,
                    want);
    } else {
      sw_buf known;
      sw_buf_init(&known);
      for (size_t i = 0; i < NKINDS; i++) {
        char vers[256];
        kind_api_versions(KINDS[i], vers, sizeof vers);
        sw_buf_printf(&known, "%s%s %s", i ? ", " : "", vers, KINDS[i]->kind);
      }
      api_path_key(&path, "kind");
      rc =
          api_fail(c, path.data, "unknown kind \"%s\" in apiVersion \"%s\"; known: %s", kind, av, known.data);
      sw_buf_free(&known);
    }
    goto out;
  }
  const api_kind_def *kd = api_kind_def_of(k);
  c->kind = kd;

  /* The namespace is settled first: defaults further down (PropagationPolicy
   * resource selectors) inherit it. Cluster-scoped kinds have none, as the
   * API server clears it. */
  json_t *meta = json_object_get(obj, "metadata");
  if (json_is_object(meta)) {
    json_t *ns = json_object_get(meta, "namespace");
    if (!k->namespaced) {
      if (ns) json_object_del(meta, "namespace");
    } else if (!ns || json_is_null(ns) || (json_is_string(ns) && json_string_length(ns) == 0)) {
      json_object_set_new(meta, "namespace", json_string("default"));
    }
    c->ns = api_str(meta, "namespace");
  }

  if (kd->pre) {
    rc = kd->pre(c, obj);
    if (rc) goto out;
  }
  api_field top[40];
  size_t nt = 0;
  top[nt++] = (api_field){.name = "apiVersion", .type = AT_STRING};
  top[nt++] = (api_field){.name = "kind", .type = AT_STRING};
  top[nt++] =
      (api_field){.name = "metadata", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = api_f_metadata};
  if (kd->spec)
    top[nt++] = (api_field){
        .name = "spec", .type = AT_OBJECT, .flags = kd->spec_required ? AF_REQUIRED : 0, .fields = kd->spec};
  top[nt++] = (api_field){.name = "status", .type = AT_OBJECT, .fields = kd->status};
  for (const api_field *f = kd->top; f && f->name && nt < 39; f++) top[nt++] = *f;
  top[nt] = (api_field){0};
  rc = api_schema_object(c, obj, top, &path);
  if (rc) goto out;
  api_path_truncate(&path, blen);
  rc = check_name(c, obj, kd, base);
  if (rc) goto out;
  if (kd->semantic) rc = kd->semantic(c, obj);
out:
  sw_buf_free(&path);
  return rc;
}

int api_validate_object(json_t *obj, const char *source, json_t *warnings, sw_err *err) {
  api_ctx c = {.source = source ? source : "object", .warnings = warnings, .err = err};
  return validate_one(&c, obj, "");
}

/* ---- JSON input ------------------------------------------------------------------------ */

typedef struct jprep {
  api_ctx *c;
  const api_vars *vars;
  json_t *ph_int;
} jprep;

/* Substitutes placeholders in every string of a JSON tree and checks depth. */
static int json_prepare(jprep *j, json_t *container, const char *key, size_t index, json_t *v, sw_buf *path,
                        int depth) {
  if (json_is_object(v) || json_is_array(v)) {
    if (depth + 1 > API_MAX_DEPTH)
      return api_fail(j->c, path->data, "nested deeper than %d levels", API_MAX_DEPTH);
    if (json_is_object(v)) {
      const char *k;
      json_t *e, *tmp;
      json_object_foreach_safe(v, tmp, k, e) {
        size_t old = path->len;
        api_path_key(path, k);
        int rc = json_prepare(j, v, k, 0, e, path, depth + 1);
        api_path_truncate(path, old);
        if (rc) return rc;
      }
    } else {
      for (size_t i = 0; i < json_array_size(v); i++) {
        size_t old = path->len;
        api_path_index(path, i);
        int rc = json_prepare(j, v, NULL, i, json_array_get(v, i), path, depth + 1);
        api_path_truncate(path, old);
        if (rc) return rc;
      }
    }
    return 0;
  }
  if (!json_is_string(v) || !container) return 0;
  char *out = NULL, missing[128];
  bool alone = false;
  int r = api_subst(json_string_value(v), j->vars, &out, &alone, missing, sizeof missing);
  if (r < 0)
    return api_fail(j->c, path->data, "unfilled placeholder ${%s} (set it with --set %s=VALUE)", missing,
                    missing);
  if (r == 0) return 0;
  json_t *nv = NULL;
  const char *p = out;
  if (*p == '-') p++;
  bool digits = *p != 0;
  for (; *p; p++)
    if (!isdigit((unsigned char)*p)) digits = false;
  if (alone && digits && strlen(out) < 19) {
    nv = json_integer(strtoll(out, NULL, 10));
    json_object_set_new(j->ph_int, path->data ? path->data : "", json_true());
  } else {
    nv = json_string(out);
  }
  free(out);
  if (!nv) return api_fail(j->c, path->data, "placeholder value is not valid UTF-8");
  if (key)
    json_object_set_new(container, key, nv);
  else
    json_array_set_new(container, index, nv);
  return 0;
}

static bool looks_like_json(const char *text, size_t len) {
  size_t i = 0;
  if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
      (unsigned char)text[2] == 0xBF)
    i = 3;
  while (i < len && isspace((unsigned char)text[i])) i++;
  return i < len && (text[i] == '{' || text[i] == '[');
}

/* JSON text, parsed by jansson. Line numbers come from reading the same text
 * as YAML (JSON is YAML), which costs a second parse: with_lines asks for it
 * (the caller does so only when there is an error or a warning to place).
 * Returns 1 when the text is not JSON. */
static int decode_json(const char *file, const char *text, size_t len, const api_vars *vars, bool with_lines,
                       api_docs *docs, sw_err *err) {
  json_error_t jerr;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) return 1; /* not JSON: let the YAML parser explain, with its line */
  json_t *lines = NULL;
  if (with_lines) {
    api_docs lines_docs;
    sw_err ignored;
    if (api_yaml_decode(file, text, len, NULL, false, &lines_docs, &ignored) == 0) {
      if (lines_docs.len == 1) lines = json_incref(lines_docs.items[0].lines);
      api_docs_free(&lines_docs);
    }
  }
  api_doc d = {.root = root, .lines = lines, .ph_int = json_object(), .line = 1};
  api_ctx c = {.source = file, .lines = lines, .default_line = with_lines ? 1 : 0, .err = err};
  jprep j = {.c = &c, .vars = vars, .ph_int = d.ph_int};
  sw_buf path;
  sw_buf_init(&path);
  sw_buf_puts(&path, "");
  int rc = json_prepare(&j, NULL, NULL, 0, root, &path, 0);
  sw_buf_free(&path);
  sw_vec_push(docs, d);
  return rc;
}

/* Validates every document (expanding Lists) into result; all or nothing. */
static int validate_docs(const char *file, api_docs *docs, json_t *result, json_t *warnings, sw_err *err) {
  int rc = 0;
  for (size_t i = 0; i < docs->len && rc == 0; i++) {
    api_doc *d = &docs->items[i];
    api_ctx c = {.source = file,
                 .lines = d->lines,
                 .ph_int = d->ph_int,
                 .default_line = d->line,
                 .warnings = warnings,
                 .err = err};
    json_t *root = d->root;
    const char *kind = api_str(root, "kind");
    json_t *items = json_object_get(root, "items");
    if (json_is_array(root) || (kind && sw_has_suffix(kind, "List") && json_is_array(items))) {
      /* A v1 List (or any *List, as kubectl expands them), or a bare array. */
      json_t *arr = json_is_array(root) ? root : items;
      for (size_t k = 0; k < json_array_size(arr) && rc == 0; k++) {
        char base[32];
        snprintf(base, sizeof base, json_is_array(root) ? "[%zu]" : "items[%zu]", k);
        json_t *item = json_array_get(arr, k);
        rc = validate_one(&c, item, base);
        if (rc == 0) json_array_append(result, item);
      }
    } else {
      rc = validate_one(&c, root, "");
      if (rc == 0) json_array_append(result, root);
    }
  }
  return rc;
}

int api_decode_manifests(const char *filename, const char *text, size_t len, const api_vars *vars,
                         json_t **out, json_t *warnings, sw_err *err) {
  const char *file = filename ? filename : "<input>";
  *out = NULL;
  if (!text) return sw_err_set(err, SW_EINVAL, "%s: no input", file);
  if (len > API_MAX_BYTES)
    return sw_err_set(err, SW_EINVAL, "%s: %zu bytes is more than the %u MiB a manifest may have", file, len,
                      API_MAX_BYTES >> 20);
  api_docs docs = {0};
  json_t *result = json_array(), *local_warnings = json_array();
  int rc = 1;
  if (looks_like_json(text, len)) {
    /* Fast path without line numbers; redone with them when there is
     * something to report. */
    for (int with_lines = 0; with_lines < 2; with_lines++) {
      json_array_clear(result);
      json_array_clear(local_warnings);
      rc = decode_json(file, text, len, vars, with_lines, &docs, err);
      if (rc == 1) break;
      if (rc == 0) rc = validate_docs(file, &docs, result, local_warnings, err);
      api_docs_free(&docs);
      if (rc == 0 && json_array_size(local_warnings) == 0) break;
    }
  }
  if (rc == 1) {
    rc = api_yaml_decode(file, text, len, vars, true, &docs, err);
    if (rc == 0) rc = validate_docs(file, &docs, result, local_warnings, err);
    api_docs_free(&docs);
  }
  if (rc) {
    json_decref(result);
    json_decref(local_warnings);
    return rc;
  }
  if (warnings) json_array_extend(warnings, local_warnings);
  json_decref(local_warnings);
  *out = result;
  return 0;
}
