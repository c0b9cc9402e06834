/* Unit tests for src/store: CRUD, revisions, generation, status across apply,
 * watch order (including re-entrant writes), merge patch, delete conflicts,
 * reopen, and a crash test (SIGKILL mid-transaction, then reopen). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static json_t *mk(const char *kind, const char *ns, const char *name, int replicas) {
  return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:i}}", "apiVersion", "apps/v1", "kind", kind, "metadata",
                   "name", name, "namespace", ns, "labels", "app", name, "spec", "replicas", replicas);
}

static store_t *open_mem(void) {
  store_t *s = NULL;
  sw_err err;
  cr_assert_eq(store_open(&s, ":memory:", &err), 0, "%s", err.msg);
  return s;
}

static const char *meta_s(const json_t *o, const char *f) {
  return json_string_value(json_object_get(json_object_get(o, "metadata"), f));
}
static json_int_t meta_i(const json_t *o, const char *f) {
  return json_integer_value(json_object_get(json_object_get(o, "metadata"), f));
}
static unsigned long long rv_of(const json_t *o) { return strtoull(meta_s(o, "resourceVersion"), NULL, 10); }

static void apply1(store_t *s, json_t *o, double now) {
  sw_err err;
  cr_assert_eq(store_apply(s, &o, 1, now, NULL, &err), 0, "%s", err.msg);
}

Test(store, create_get_list) {
  store_t *s = open_mem();
  json_t *objs[3] = {mk("Deployment", "b", "x", 1), mk("Deployment", "a", "y", 2),
                     mk("Service", "a", "x", 0)};
  json_t *res[3];
  sw_err err;
  cr_assert_eq(store_apply(s, objs, 3, 1795423473, res, &err), 0, "%s", err.msg);
  cr_assert_eq(store_revision(s), 3);
  for (int i = 0; i < 3; i++) {
    cr_assert_not_null(res[i]);
    cr_assert_eq(strlen(meta_s(res[i], "uid")), 36);
    cr_assert_eq(meta_s(res[i], "uid")[14], '4', "uuid v4");
    cr_assert_eq(meta_i(res[i], "generation"), 1);
    cr_assert_str_eq(meta_s(res[i], "creationTimestamp"), "2026-11-23T08:44:33Z");
    cr_assert_eq(rv_of(res[i]), (unsigned long long)i + 1);
  }
  cr_assert_str_neq(meta_s(res[0], "uid"), meta_s(res[1], "uid"));
  json_t *g = store_get(s, "Deployment", "b", "x");
  cr_assert(json_equal(g, res[0]));
  json_decref(g);
  cr_assert_null(store_get(s, "Deployment", "b", "nope"));
  cr_assert_null(store_get(s, "Deployment", "a", "x"));
  json_t *l = store_list(s, "Deployment", NULL);
  cr_assert_eq(json_array_size(l), 2);
  cr_assert_str_eq(meta_s(json_array_get(l, 0), "namespace"), "a"); /* ordered by namespace */
  json_decref(l);
  l = store_list(s, "Deployment", "b");
  cr_assert_eq(json_array_size(l), 1);
  json_decref(l);
  l = store_list(s, "Pod", NULL);
  cr_assert_eq(json_array_size(l), 0);
  json_decref(l);
  l = store_list(s, NULL, NULL);
  cr_assert_eq(json_array_size(l), 3);
  json_decref(l);
  for (int i = 0; i < 3; i++) json_decref(objs[i]), json_decref(res[i]);
  store_close(s);
}

Test(store, missing_namespace_is_cluster_scoped) {
  store_t *s = open_mem();
  json_t *o = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "spillway.io/v1alpha1", "kind", "Cluster",
                        "metadata", "name", "cluster1");
  apply1(s, o, 0);
  json_t *g = store_get(s, "Cluster", "", "cluster1");
  cr_assert_not_null(g);
  cr_assert_str_eq(meta_s(g, "namespace"), "");
  json_t *g2 = store_get(s, "Cluster", NULL, "cluster1");
  cr_assert_not_null(g2);
  json_decref(g), json_decref(g2), json_decref(o);
  store_close(s);
}

Test(store, bad_objects_rejected_whole_batch) {
  store_t *s = open_mem();
  struct {
    const char *json;
    const char *want;
  } cases[] = {
      {"[1]", "expected a JSON object"},
      {"{\"metadata\":{\"name\":\"a\"}}", "kind"},
      {"{\"kind\":\"Deployment\",\"metadata\":{}}", "metadata.name"},
      {"{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"\"}}", "metadata.name"},
      {"{\"kind\":\"\",\"metadata\":{\"name\":\"x\"}}", "kind"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *bad = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
    if (json_is_array(bad)) {
      json_t *x = json_incref(json_array_get(bad, 0));
      json_decref(bad);
      bad = x;
    }
    json_t *objs[2] = {mk("Deployment", "default", "good", 1), bad};
    sw_err err;
    cr_assert_eq(store_apply(s, objs, 2, 0, NULL, &err), SW_EINVAL, "case %zu", i);
    cr_assert(strstr(err.msg, cases[i].want), "case %zu: %s", i, err.msg);
    json_decref(objs[0]), json_decref(objs[1]);
  }
  cr_assert_eq(store_revision(s), 0);
  cr_assert_null(store_get(s, "Deployment", "default", "good"));
  store_close(s);
}

Test(store, update_generation_status_and_noop) {
  store_t *s = open_mem();
  json_t *o = mk("Deployment", "default", "qwen", 1);
  apply1(s, o, 100);
  json_t *st = json_pack("{s:i}", "readyReplicas", 1);
  sw_err err;
  cr_assert_eq(store_update_status(s, "Deployment", "default", "qwen", st, &err), 0, "%s", err.msg);
  json_t *g = store_get(s, "Deployment", "default", "qwen");
  cr_assert_eq(meta_i(g, "generation"), 1, "status does not bump generation");
  cr_assert_eq(rv_of(g), 2);
  const char *uid = sw_xstrdup(meta_s(g, "uid"));
  json_decref(g);

  /* same status again: a no-op, no new revision */
  cr_assert_eq(store_update_status(s, "Deployment", "default", "qwen", st, &err), 0);
  cr_assert_eq(store_revision(s), 2);

  /* label change: rv bumps, generation does not, status is kept */
  json_object_set_new(json_object_get(json_object_get(o, "metadata"), "labels"), "tier", json_string("a"));
  json_object_set_new(o, "status", json_pack("{s:i}", "readyReplicas", 99)); /* ignored on update */
  apply1(s, o, 200);
  g = store_get(s, "Deployment", "default", "qwen");
  cr_assert_eq(meta_i(g, "generation"), 1);
  cr_assert_eq(rv_of(g), 3);
  cr_assert(json_equal(json_object_get(g, "status"), st));
  cr_assert_str_eq(meta_s(g, "uid"), uid);
  cr_assert_str_eq(meta_s(g, "creationTimestamp"), "1970-01-01T00:01:40Z", "creation time kept");
  json_decref(g);

  /* spec change: generation bumps */
  json_object_set_new(json_object_get(o, "spec"), "replicas", json_integer(3));
  apply1(s, o, 300);
  g = store_get(s, "Deployment", "default", "qwen");
  cr_assert_eq(meta_i(g, "generation"), 2);
  cr_assert_eq(rv_of(g), 4);
  json_decref(g);

  /* identical apply: unchanged, no revision */
  apply1(s, o, 400);
  cr_assert_eq(store_revision(s), 4);

  /* caller-supplied identity fields are ignored */
  json_t *meta = json_object_get(o, "metadata");
  json_object_set_new(meta, "uid", json_string("forged"));
  json_object_set_new(meta, "generation", json_integer(77));
  json_object_set_new(meta, "resourceVersion", json_string("1"));
  apply1(s, o, 500);
  g = store_get(s, "Deployment", "default", "qwen");
  cr_assert_str_eq(meta_s(g, "uid"), uid);
  cr_assert_eq(meta_i(g, "generation"), 2);
  cr_assert_eq(store_revision(s), 4);
  json_decref(g);

  /* status removed */
  cr_assert_eq(store_update_status(s, "Deployment", "default", "qwen", NULL, &err), 0);
  g = store_get(s, "Deployment", "default", "qwen");
  cr_assert_null(json_object_get(g, "status"));
  json_decref(g);
  cr_assert_eq(store_update_status(s, "Deployment", "default", "nope", st, &err), SW_ENOENT);

  free((void *)uid);
  json_decref(st), json_decref(o);
  store_close(s);
}

Test(store, create_keeps_given_status) {
  store_t *s = open_mem();
  json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind", "Pod", "metadata",
                          "name", "p-1", "namespace", "default", "status", "phase", "Pending");
  apply1(s, pod, 0);
  json_t *g = store_get(s, "Pod", "default", "p-1");
  cr_assert_str_eq(json_string_value(json_object_get(json_object_get(g, "status"), "phase")), "Pending");
  json_decref(g), json_decref(pod);
  store_close(s);
}

Test(store, same_key_twice_in_one_batch) {
  store_t *s = open_mem();
  json_t *objs[2] = {mk("Deployment", "default", "x", 1), mk("Deployment", "default", "x", 2)};
  json_t *res[2];
  sw_err err;
  cr_assert_eq(store_apply(s, objs, 2, 0, res, &err), 0, "%s", err.msg);
  cr_assert_eq(meta_i(res[1], "generation"), 2);
  cr_assert_str_eq(meta_s(res[0], "uid"), meta_s(res[1], "uid"));
  for (int i = 0; i < 2; i++) json_decref(objs[i]), json_decref(res[i]);
  store_close(s);
}

/* ---- watches ---- */
typedef struct {
  char log[64][80];
  int n;
  store_t *s;
  int reentrant_writes; /* how many more writes the callback performs */
  int unwatch_id;       /* unwatch this id on the first event */
} watch_log;

static void record(void *ud, store_event_type t, const json_t *obj) {
  watch_log *w = ud;
  static const char *names[] = {"ADDED", "MODIFIED", "DELETED"};
  if (w->n < 64)
    snprintf(w->log[w->n++], 80, "%s %s %s %s", names[t], json_string_value(json_object_get(obj, "kind")),
             meta_s(obj, "name"), meta_s(obj, "resourceVersion"));
  if (w->unwatch_id) {
    store_unwatch(w->s, w->unwatch_id);
    w->unwatch_id = 0;
  }
  if (w->reentrant_writes > 0) {
    w->reentrant_writes--;
    char name[16];
    snprintf(name, sizeof name, "r%d", w->reentrant_writes);
    json_t *o = mk("Service", "default", name, 0);
    sw_err err;
    cr_assert_eq(store_apply(w->s, &o, 1, 0, NULL, &err), 0);
    json_decref(o);
  }
}

Test(store, watch_order_and_filter) {
  store_t *s = open_mem();
  watch_log all = {.s = s}, deps = {.s = s};
  int wa = store_watch(s, NULL, record, &all);
  store_watch(s, "Deployment", record, &deps);
  json_t *objs[2] = {mk("Deployment", "default", "a", 1), mk("Service", "default", "a", 0)};
  sw_err err;
  cr_assert_eq(store_apply(s, objs, 2, 0, NULL, &err), 0);
  cr_assert_eq(
      store_merge_patch(s, "Deployment", "default", "a", json_object_get(objs[1], "spec"), NULL, &err), 0);
  cr_assert_eq(store_delete(s, "Deployment", "default", "a", 0, &err), 0);
  const char *want_all[] = {"ADDED Deployment a 1", "ADDED Service a 2", "MODIFIED Deployment a 3",
                            "DELETED Deployment a 4"};
  cr_assert_eq(all.n, 4);
  for (int i = 0; i < 4; i++) cr_assert_str_eq(all.log[i], want_all[i]);
  cr_assert_eq(deps.n, 3);
  cr_assert_str_eq(deps.log[2], "DELETED Deployment a 4");
  store_unwatch(s, wa);
  cr_assert_eq(store_delete(s, "Service", "default", "a", 0, &err), 0);
  cr_assert_eq(all.n, 4, "unwatched");
  json_decref(objs[0]), json_decref(objs[1]);
  store_close(s);
}

Test(store, watch_not_called_on_failure) {
  store_t *s = open_mem();
  watch_log w = {.s = s};
  store_watch(s, NULL, record, &w);
  json_t *objs[2] = {mk("Deployment", "default", "a", 1), json_pack("{s:s}", "kind", "X")};
  sw_err err;
  cr_assert_neq(store_apply(s, objs, 2, 0, NULL, &err), 0);
  cr_assert_eq(w.n, 0);
  json_decref(objs[0]), json_decref(objs[1]);
  store_close(s);
}

Test(store, reentrant_writes_keep_commit_order) {
  store_t *s = open_mem();
  watch_log a = {.s = s, .reentrant_writes = 2}, b = {.s = s};
  int ida = store_watch(s, NULL, record, &a);
  store_watch(s, NULL, record, &b);
  (void)ida;
  json_t *objs[2] = {mk("Deployment", "default", "d1", 1), mk("Deployment", "default", "d2", 1)};
  sw_err err;
  cr_assert_eq(store_apply(s, objs, 2, 0, NULL, &err), 0);
  /* a's first callback writes r1 (rv 3), its second writes r0 (rv 4); b must
   * still see 1,2,3,4 in order */
  const char *want[] = {"ADDED Deployment d1 1", "ADDED Deployment d2 2", "ADDED Service r1 3",
                        "ADDED Service r0 4"};
  cr_assert_eq(b.n, 4);
  cr_assert_eq(a.n, 4);
  for (int i = 0; i < 4; i++) {
    cr_assert_str_eq(b.log[i], want[i], "b[%d] = %s", i, b.log[i]);
    cr_assert_str_eq(a.log[i], want[i], "a[%d] = %s", i, a.log[i]);
  }
  json_decref(objs[0]), json_decref(objs[1]);
  store_close(s);
}

Test(store, unwatch_during_delivery) {
  store_t *s = open_mem();
  watch_log a = {.s = s}, b = {.s = s};
  store_watch(s, NULL, record, &a);
  int idb = store_watch(s, NULL, record, &b);
  a.unwatch_id = idb;
  json_t *objs[2] = {mk("Deployment", "default", "d1", 1), mk("Deployment", "default", "d2", 1)};
  sw_err err;
  cr_assert_eq(store_apply(s, objs, 2, 0, NULL, &err), 0);
  cr_assert_eq(a.n, 2);
  cr_assert_eq(b.n, 0, "b was unwatched by a's first callback, before b's turn");
  json_decref(objs[0]), json_decref(objs[1]);
  store_close(s);
}

/* ---- merge patch ---- */
Test(store, merge_patch_rfc7386) {
  /* RFC 7386 appendix A cases, applied under spec */
  struct {
    const char *target, *patch, *want;
  } cases[] = {
      {"{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
      {"{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}"},
      {"{\"a\":\"b\"}", "{\"a\":null}", "{}"},
      {"{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}"},
      {"{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}"},
      {"{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}"},
      {"{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}"},
      {"{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}"},
      {"{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}"},
      {"{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    store_t *s = open_mem();
    json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s},s:o}", "apiVersion", "v1", "kind", "Thing", "metadata",
                          "name", "t", "namespace", "default", "spec", json_loads(cases[i].target, 0, NULL));
    apply1(s, o, 0);
    json_t *patch = json_pack("{s:o}", "spec", json_loads(cases[i].patch, 0, NULL));
    json_t *res = NULL;
    sw_err err;
    cr_assert_eq(store_merge_patch(s, "Thing", "default", "t", patch, &res, &err), 0, "%s", err.msg);
    json_t *want = json_loads(cases[i].want, 0, NULL);
    cr_assert(json_equal(json_object_get(res, "spec"), want), "case %zu", i);
    json_decref(want), json_decref(res), json_decref(patch), json_decref(o);
    store_close(s);
  }
}

Test(store, merge_patch_protects_identity_and_bumps_generation) {
  store_t *s = open_mem();
  json_t *o = mk("Deployment", "default", "qwen", 1);
  json_t *res0[1];
  sw_err err;
  cr_assert_eq(store_apply(s, &o, 1, 0, res0, &err), 0);
  json_t *patch = json_loads("{\"kind\":\"Evil\",\"apiVersion\":\"x/v9\",\"metadata\":{\"name\":\"other\","
                             "\"namespace\":\"kube-system\",\"uid\":\"u\",\"generation\":50,"
                             "\"creationTimestamp\":\"2000-01-01T00:00:00Z\",\"labels\":{\"x\":\"y\"}},"
                             "\"spec\":{\"replicas\":5},\"status\":{\"replicas\":5}}",
                             0, NULL);
  json_t *res = NULL;
  cr_assert_eq(store_merge_patch(s, "Deployment", "default", "qwen", patch, &res, &err), 0, "%s", err.msg);
  cr_assert_str_eq(json_string_value(json_object_get(res, "kind")), "Deployment");
  cr_assert_str_eq(json_string_value(json_object_get(res, "apiVersion")), "apps/v1");
  cr_assert_str_eq(meta_s(res, "name"), "qwen");
  cr_assert_str_eq(meta_s(res, "namespace"), "default");
  cr_assert_str_eq(meta_s(res, "uid"), meta_s(res0[0], "uid"));
  cr_assert_str_eq(meta_s(res, "creationTimestamp"), meta_s(res0[0], "creationTimestamp"));
  cr_assert_eq(meta_i(res, "generation"), 2);
  cr_assert_str_eq(
      json_string_value(json_object_get(json_object_get(json_object_get(res, "metadata"), "labels"), "x")),
      "y");
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(res, "status"), "replicas")), 5);
  cr_assert_null(store_get(s, "Deployment", "kube-system", "other"));

  /* resourceVersion in the patch is a precondition */
  json_t *stale = json_loads("{\"metadata\":{\"resourceVersion\":\"1\"},\"spec\":{\"replicas\":7}}", 0, NULL);
  cr_assert_eq(store_merge_patch(s, "Deployment", "default", "qwen", stale, NULL, &err), SW_ECONFLICT);
  cr_assert(strstr(err.msg, "modified"), "%s", err.msg);
  json_t *fresh = json_loads("{\"metadata\":{\"resourceVersion\":\"2\"},\"spec\":{\"replicas\":7}}", 0, NULL);
  cr_assert_eq(store_merge_patch(s, "Deployment", "default", "qwen", fresh, NULL, &err), 0, "%s", err.msg);

  /* errors */
  cr_assert_eq(store_merge_patch(s, "Deployment", "default", "none", fresh, NULL, &err), SW_ENOENT);
  json_t *arr = json_array();
  cr_assert_eq(store_merge_patch(s, "Deployment", "default", "qwen", arr, NULL, &err), SW_EINVAL);
  /* a no-op patch changes nothing */
  uint64_t rev = store_revision(s);
  json_t *noop = json_loads("{\"spec\":{\"replicas\":7}}", 0, NULL);
  cr_assert_eq(store_merge_patch(s, "Deployment", "default", "qwen", noop, NULL, &err), 0);
  cr_assert_eq(store_revision(s), rev);
  json_decref(noop), json_decref(arr), json_decref(stale), json_decref(fresh);
  json_decref(res), json_decref(res0[0]), json_decref(patch), json_decref(o);
  store_close(s);
}

/* ---- delete ---- */
Test(store, delete_conflict_and_missing) {
  store_t *s = open_mem();
  json_t *o = mk("Deployment", "default", "qwen", 1);
  apply1(s, o, 0);
  sw_err err;
  cr_assert_eq(store_delete(s, "Deployment", "default", "qwen", 9, &err), SW_ECONFLICT);
  cr_assert(strstr(err.msg, "resourceVersion is 1, expected 9"), "%s", err.msg);
  json_t *g = store_get(s, "Deployment", "default", "qwen");
  cr_assert_not_null(g);
  json_decref(g);
  cr_assert_eq(store_delete(s, "Deployment", "default", "qwen", 1, &err), 0, "%s", err.msg);
  cr_assert_null(store_get(s, "Deployment", "default", "qwen"));
  cr_assert_eq(store_revision(s), 2);
  cr_assert_eq(store_delete(s, "Deployment", "default", "qwen", 0, &err), SW_ENOENT);
  cr_assert(strstr(err.msg, "not found"));
  /* re-creation gets a new uid and generation 1 */
  json_t *r[1];
  cr_assert_eq(store_apply(s, &o, 1, 0, r, &err), 0);
  cr_assert_eq(meta_i(r[0], "generation"), 1);
  json_decref(r[0]), json_decref(o);
  store_close(s);
}

/* ---- persistence ---- */
static char *tmp_db(void) {
  char dir[] = "/tmp/sw-store-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  return sw_xasprintf("%s/spillway.db", dir);
}

static void rm_db(char *path) {
  char *cmd = sw_xasprintf("rm -rf \"$(dirname %s)\"", path);
  cr_assert_eq(system(cmd), 0);
  free(cmd);
  free(path);
}

Test(store, reopen_finds_everything) {
  char *path = tmp_db();
  store_t *s = NULL;
  sw_err err;
  cr_assert_eq(store_open(&s, path, &err), 0, "%s", err.msg);
  json_t *o = mk("Deployment", "default", "qwen", 1);
  apply1(s, o, 0);
  json_t *st = json_pack("{s:i}", "replicas", 1);
  cr_assert_eq(store_update_status(s, "Deployment", "default", "qwen", st, &err), 0);
  json_t *before = store_get(s, "Deployment", "default", "qwen");
  store_close(s);
  cr_assert_eq(store_open(&s, path, &err), 0, "%s", err.msg);
  cr_assert_eq(store_revision(s), 2);
  json_t *after = store_get(s, "Deployment", "default", "qwen");
  cr_assert(json_equal(before, after));
  json_object_set_new(json_object_get(o, "spec"), "replicas", json_integer(2));
  apply1(s, o, 0);
  cr_assert_eq(store_revision(s), 3, "the counter continues after reopen");
  store_close(s);
  json_decref(before), json_decref(after), json_decref(st), json_decref(o);
  rm_db(path);
}

Test(store, open_errors) {
  store_t *s = NULL;
  sw_err err;
  cr_assert_neq(store_open(&s, "/nonexistent-dir/x/spillway.db", &err), 0);
  cr_assert_null(s);
  cr_assert(strstr(err.msg, "/nonexistent-dir/x/spillway.db"), "%s", err.msg);
  /* a file that is not a database */
  char *path = tmp_db();
  FILE *f = fopen(path, "w");
  fputs("this is not a database, it is a text file that is long enough to have a header......\n", f);
  fclose(f);
  cr_assert_neq(store_open(&s, path, &err), 0);
  cr_assert_null(s);
  rm_db(path);
}

/* Crash test: a child applies one big batch and is SIGKILLed at a varying
 * delay; the parent reopens and must find either none or all of the batch,
 * and the revision counter consistent with what is there. A first,
 * uninterrupted run measures how long the batch takes so the kills spread
 * from its start to just past its commit. */
static pid_t spawn_batch(const char *path, int n_objs) {
  int pfd[2];
  cr_assert_eq(pipe(pfd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    store_t *cs = NULL;
    if (store_open(&cs, path, NULL)) _exit(3);
    json_t **objs = malloc((size_t)n_objs * sizeof *objs);
    for (int i = 0; i < n_objs; i++) {
      char name[32];
      snprintf(name, sizeof name, "obj-%05d", i);
      objs[i] = mk("Deployment", "batch", name, i);
      json_object_set_new(objs[i], "padding",
                          json_string("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    }
    if (write(pfd[1], "go", 2) != 2) _exit(4);
    int rc = store_apply(cs, objs, (size_t)n_objs, 0, NULL, NULL);
    _exit(rc ? 5 : 0);
  }
  close(pfd[1]);
  char go[2];
  cr_assert_eq(read(pfd[0], go, 2), 2); /* the child is about to begin the transaction */
  close(pfd[0]);
  return pid;
}

static char *db_with_one_commit(void) {
  char *path = tmp_db();
  store_t *s = NULL;
  sw_err err;
  cr_assert_eq(store_open(&s, path, &err), 0, "%s", err.msg);
  json_t *pre = mk("Deployment", "default", "pre", 1);
  apply1(s, pre, 0);
  json_decref(pre);
  store_close(s);
  return path;
}

Test(store, crash_mid_apply_is_all_or_nothing, .timeout = 240) {
  enum { N = 3000, ROUNDS = 20 };
  char *path = db_with_one_commit();
  double t0 = sw_mono_now();
  int status;
  pid_t pid = spawn_batch(path, N);
  waitpid(pid, &status, 0);
  double duration = sw_mono_now() - t0;
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "calibration run failed");
  rm_db(path);
  int saw_none = 0, saw_all = 0;
  for (int round = 0; round < ROUNDS; round++) {
    path = db_with_one_commit();
    pid = spawn_batch(path, N);
    double delay = duration * 1.2 * round / (ROUNDS - 1);
    struct timespec d = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
    nanosleep(&d, NULL);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    store_t *s = NULL;
    sw_err err;
    cr_assert_eq(store_open(&s, path, &err), 0, "round %d: %s", round, err.msg);
    json_t *l = store_list(s, "Deployment", "batch");
    size_t n = json_array_size(l);
    cr_assert(n == 0 || n == N, "round %d: found %zu of %d objects", round, n, N);
    json_t *p = store_get(s, "Deployment", "default", "pre");
    cr_assert_not_null(p, "round %d: the earlier commit was lost", round);
    cr_assert_eq(store_revision(s), n ? (uint64_t)N + 1 : 1, "round %d", round);
    if (n) {
      /* every object is whole */
      json_t *last = json_array_get(l, N - 1);
      cr_assert_eq(json_integer_value(json_object_get(json_object_get(last, "spec"), "replicas")), N - 1);
      saw_all++;
    } else
      saw_none++;
    json_decref(p), json_decref(l);
    store_close(s);
    rm_db(path);
  }
  cr_log_info("crash test: batch of %d took %.3f s; %d kills found nothing, %d found everything", N, duration,
              saw_none, saw_all);
  cr_assert(saw_none > 0, "no round killed the child mid-transaction");
  cr_assert(saw_all > 0, "no round let the child commit");
}
