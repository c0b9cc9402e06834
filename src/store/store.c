/*
 * store.c — the object store on SQLite: one row per object, a global revision
 * counter, in-process watches.
 *
 * Role in the data flow: the single source of truth between the API server
 * and every controller (see store.h). Owns: the SQLite connection, the
 * revision counter, the watch list. Never: sockets, the clock (callers pass
 * `now`), or calling a watcher before its change is committed.
 *
 * Durability: WAL journal with synchronous=FULL. WAL alone makes every
 * transaction atomic across a process crash (kill -9): an interrupted
 * transaction never reaches the WAL's commit frame, so a reopen replays only
 * whole transactions. synchronous=FULL additionally fsyncs the WAL at each
 * commit, so an object the API server has acknowledged survives a power loss
 * too, as etcd fsyncs before it answers a write. (NORMAL would only sync at
 * checkpoints and could lose the last acknowledged writes on power loss.)
 *
 * Schema: objects(kind, ns, name, uid, rv, generation, created, body, status)
 * where body is the object without .status and status is .status alone (NULL
 * when the object has none); meta('revision') holds the counter.
 *
 * No-op writes (an update that changes nothing, a status equal to the stored
 * one) are skipped entirely — no new resourceVersion and no watch event — as
 * the Kubernetes API server skips no-op updates; otherwise a controller that
 * rewrites the same status every sync would wake its own watchers forever.
 *
 * Watch delivery: events are queued during the transaction and delivered
 * after COMMIT (dropped on ROLLBACK). A watcher that writes from inside its
 * callback has its events appended to the same queue, so every watcher sees
 * every change in commit order.
 */
#include "store/store.h"

#include <openssl/rand.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Compile-time knob for measurements only (bench: FULL vs NORMAL). */
#ifndef STORE_SYNCHRONOUS
#define STORE_SYNCHRONOUS "FULL"
#endif

typedef struct store_watcher {
  int id;
  char *kind; /* NULL = every kind */
  store_watch_fn fn;
  void *ud;
  bool dead; /* unwatched while events were being delivered */
} store_watcher;

typedef struct store_pending {
  store_event_type type;
  json_t *obj; /* owned */
} store_pending;

struct store {
  sqlite3 *db;
  uint64_t revision;
  sqlite3_stmt *st_get, *st_put, *st_del, *st_status, *st_rev, *st_list_ns, *st_list_all, *st_list_every;
  SW_VEC(store_watcher) watchers;
  int next_watch_id;
  SW_VEC(store_pending) queue; /* committed changes not yet delivered */
  size_t queue_head;
  bool delivering;
  int in_tx; /* events recorded while a transaction is open start here */
  size_t tx_queue_start;
};

/* ---- SQLite helpers ------------------------------------------------------ */

static int db_fail(store_t *s, sw_err *err, const char *what) {
  return sw_err_set(err, SW_EIO, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

static int db_exec(store_t *s, const char *sql, sw_err *err) {
  char *msg = NULL;
  if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    sw_err_set(err, SW_EIO, "store: %s: %s", sql, msg ? msg : "failed");
    sqlite3_free(msg);
    return SW_EIO;
  }
  return 0;
}

static int db_prepare(store_t *s, const char *sql, sqlite3_stmt **st, sw_err *err) {
  if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
    return db_fail(s, err, "prepare");
  return 0;
}

static const char SCHEMA[] = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                             "INSERT OR IGNORE INTO meta(key, value) VALUES('revision', 0);"
                             "CREATE TABLE IF NOT EXISTS objects("
                             "  kind TEXT NOT NULL, ns TEXT NOT NULL, name TEXT NOT NULL,"
                             "  uid TEXT NOT NULL, rv INTEGER NOT NULL, generation INTEGER NOT NULL,"
                             "  created REAL NOT NULL, body TEXT NOT NULL, status TEXT,"
                             "  PRIMARY KEY(kind, ns, name)) WITHOUT ROWID;";

int store_open(store_t **out, const char *path, sw_err *err) {
  *out = NULL;
  store_t *s = sw_xcalloc(1, sizeof *s);
  s->next_watch_id = 1;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
    sw_err_set(err, SW_EIO, "store: opening %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    store_close(s);
    return SW_EIO;
  }
  sqlite3_busy_timeout(s->db, 5000);
  bool mem = strcmp(path, ":memory:") == 0 || path[0] == 0;
  int rc = db_exec(s, mem ? "PRAGMA journal_mode=MEMORY" : "PRAGMA journal_mode=WAL", err);
  if (!rc) rc = db_exec(s, "PRAGMA synchronous=" STORE_SYNCHRONOUS, err);
  if (!rc) rc = db_exec(s, SCHEMA, err);
  if (!rc)
    rc = db_prepare(s, "SELECT body, status FROM objects WHERE kind=?1 AND ns=?2 AND name=?3", &s->st_get,
                    err);
  if (!rc)
    rc = db_prepare(
        s,
        "INSERT OR REPLACE INTO objects(kind, ns, name, uid, rv, generation, created, body, status)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &s->st_put, err);
  if (!rc) rc = db_prepare(s, "DELETE FROM objects WHERE kind=?1 AND ns=?2 AND name=?3", &s->st_del, err);
  if (!rc)
    rc = db_prepare(s, "UPDATE objects SET body=?4, status=?5, rv=?6 WHERE kind=?1 AND ns=?2 AND name=?3",
                    &s->st_status, err);
  if (!rc) rc = db_prepare(s, "UPDATE meta SET value=?1 WHERE key='revision'", &s->st_rev, err);
  if (!rc)
    rc = db_prepare(s, "SELECT body, status FROM objects WHERE kind=?1 AND ns=?2 ORDER BY name",
                    &s->st_list_ns, err);
  if (!rc)
    rc = db_prepare(s, "SELECT body, status FROM objects WHERE kind=?1 ORDER BY ns, name", &s->st_list_all,
                    err);
  if (!rc)
    rc = db_prepare(s, "SELECT body, status FROM objects ORDER BY kind, ns, name", &s->st_list_every, err);
  if (!rc) {
    sqlite3_stmt *st = NULL;
    rc = db_prepare(s, "SELECT value FROM meta WHERE key='revision'", &st, err);
    if (!rc && sqlite3_step(st) == SQLITE_ROW) s->revision = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  if (rc) {
    sw_err_prefix(err, "opening %s", path);
    store_close(s);
    return rc;
  }
  *out = s;
  return 0;
}

void store_close(store_t *s) {
  if (!s) return;
  sqlite3_stmt *sts[] = {s->st_get, s->st_put,     s->st_del,      s->st_status,
                         s->st_rev, s->st_list_ns, s->st_list_all, s->st_list_every};
  for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++) sqlite3_finalize(sts[i]);
  if (s->db) sqlite3_close(s->db);
  for (size_t i = 0; i < s->watchers.len; i++) free(s->watchers.items[i].kind);
  sw_vec_free(&s->watchers);
  for (size_t i = s->queue_head; i < s->queue.len; i++) json_decref(s->queue.items[i].obj);
  sw_vec_free(&s->queue);
  free(s);
}

uint64_t store_revision(store_t *s) { return s->revision; }

/* ---- object helpers ----------------------------------------------------- */

static void bind_key(sqlite3_stmt *st, const char *kind, const char *ns, const char *name) {
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, ns ? ns : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, name, -1, SQLITE_TRANSIENT);
}

/* Builds the object from a row's body and status columns (i0, i0+1). */
static json_t *row_object(sqlite3_stmt *st, int i0) {
  const char *body = (const char *)sqlite3_column_text(st, i0);
  json_t *obj = body ? json_loads(body, 0, NULL) : NULL;
  if (!obj) return NULL;
  const char *status = (const char *)sqlite3_column_text(st, i0 + 1);
  if (status) {
    json_t *sv = json_loads(status, JSON_DECODE_ANY, NULL);
    if (sv) json_object_set_new(obj, "status", sv);
  }
  return obj;
}

json_t *store_get(store_t *s, const char *kind, const char *ns, const char *name) {
  if (!kind || !name) return NULL;
  sqlite3_stmt *st = s->st_get;
  bind_key(st, kind, ns, name);
  json_t *obj = NULL;
  if (sqlite3_step(st) == SQLITE_ROW) obj = row_object(st, 0);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return obj;
}

json_t *store_list(store_t *s, const char *kind, const char *ns) {
  json_t *arr = json_array();
  sqlite3_stmt *st;
  if (!kind)
    st = s->st_list_every; /* an extension: every kind, by kind then namespace then name */
  else if (ns) {
    st = s->st_list_ns;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ns, -1, SQLITE_TRANSIENT);
  } else {
    st = s->st_list_all;
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_TRANSIENT);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    json_t *obj = row_object(st, 0);
    if (obj) json_array_append_new(arr, obj);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return arr;
}

/* RFC 4122 version 4 UUID from the OpenSSL CSPRNG (seeded from the kernel). */
static void make_uid(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    /* RAND_bytes only fails when the kernel cannot seed it; fall back so a
     * uid is still unique within this process. */
    static unsigned long ctr;
    for (size_t i = 0; i < sizeof b; i++) b[i] = (unsigned char)(rand() ^ (int)(++ctr >> (i % 8)));
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static const char *obj_str(const json_t *obj, const char *a, const char *b) {
  const json_t *v = json_object_get(obj, a);
  if (b) v = json_object_get(v, b);
  return json_string_value(v);
}

static void set_rv(json_t *meta, uint64_t rv) {
  char buf[32];
  snprintf(buf, sizeof buf, "%llu", (unsigned long long)rv);
  json_object_set_new(meta, "resourceVersion", json_string(buf));
}

/* Parses metadata.resourceVersion ("123" as Kubernetes writes it, or 123). */
static uint64_t obj_rv(const json_t *obj) {
  const json_t *v = json_object_get(json_object_get(obj, "metadata"), "resourceVersion");
  if (json_is_integer(v)) return (uint64_t)json_integer_value(v);
  const char *s = json_string_value(v);
  return s ? strtoull(s, NULL, 10) : 0;
}

/* Writes body+status of obj (which carries its final metadata) at revision rv. */
static int put_row(store_t *s, const char *kind, const char *ns, const char *name, json_t *obj, uint64_t rv,
                   json_int_t generation, double created, sw_err *err) {
  json_t *status = json_object_get(obj, "status");
  json_incref(status);
  json_object_del(obj, "status");
  char *body = json_dumps(obj, JSON_COMPACT);
  char *stext = status && !json_is_null(status) ? json_dumps(status, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  if (status) json_object_set(obj, "status", status);
  json_decref(status);
  sqlite3_stmt *st = s->st_put;
  bind_key(st, kind, ns, name);
  sqlite3_bind_text(st, 4, obj_str(obj, "metadata", "uid"), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)rv);
  sqlite3_bind_int64(st, 6, generation);
  sqlite3_bind_double(st, 7, created);
  sqlite3_bind_text(st, 8, body, -1, free);
  if (stext)
    sqlite3_bind_text(st, 9, stext, -1, free);
  else
    sqlite3_bind_null(st, 9);
  int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s, err, "writing object");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

/* ---- transactions and watch delivery ----------------------------------- */

static int tx_begin(store_t *s, sw_err *err) {
  if (db_exec(s, "BEGIN IMMEDIATE", err)) return SW_EIO;
  s->in_tx = 1;
  s->tx_queue_start = s->queue.len;
  return 0;
}

static void queue_event(store_t *s, store_event_type type, json_t *obj) {
  store_pending p = {type, json_deep_copy(obj)};
  sw_vec_push(&s->queue, p);
}

static void drop_tx_events(store_t *s) {
  for (size_t i = s->tx_queue_start; i < s->queue.len; i++) json_decref(s->queue.items[i].obj);
  s->queue.len = s->tx_queue_start;
}

/* Delivers queued events in order. Re-entrant writes only append; the
 * outermost call drains the queue. */
static void deliver(store_t *s) {
  if (s->delivering) return;
  s->delivering = true;
  while (s->queue_head < s->queue.len) {
    store_pending ev = s->queue.items[s->queue_head++];
    const char *kind = obj_str(ev.obj, "kind", NULL);
    /* watchers may be added during delivery: iterate by index, re-reading len */
    for (size_t i = 0; i < s->watchers.len; i++) {
      store_watcher *w = &s->watchers.items[i];
      if (w->dead || (w->kind && !sw_streq(w->kind, kind))) continue;
      store_watch_fn fn = w->fn;
      void *ud = w->ud;
      fn(ud, ev.type, ev.obj); /* w may move if the callback adds a watcher */
    }
    json_decref(ev.obj);
  }
  s->queue.len = s->queue_head = 0;
  size_t j = 0;
  for (size_t i = 0; i < s->watchers.len; i++) {
    if (s->watchers.items[i].dead)
      free(s->watchers.items[i].kind);
    else
      s->watchers.items[j++] = s->watchers.items[i];
  }
  s->watchers.len = j;
  s->delivering = false;
}

static int tx_commit(store_t *s, uint64_t new_rev, sw_err *err) {
  int rc = 0;
  if (new_rev != s->revision) {
    sqlite3_bind_int64(s->st_rev, 1, (sqlite3_int64)new_rev);
    if (sqlite3_step(s->st_rev) != SQLITE_DONE) rc = db_fail(s, err, "writing revision");
    sqlite3_reset(s->st_rev);
  }
  if (!rc) rc = db_exec(s, "COMMIT", err);
  if (rc) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    drop_tx_events(s);
    s->in_tx = 0;
    return rc;
  }
  s->revision = new_rev;
  s->in_tx = 0;
  deliver(s);
  return 0;
}

static void tx_rollback(store_t *s) {
  sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  drop_tx_events(s);
  s->in_tx = 0;
}

/* ---- writes -------------------------------------------------------------- */

/* Fields the store owns in metadata: a caller's values are ignored. */
static void copy_identity(json_t *dst_meta, const json_t *src_meta) {
  static const char *const owned[] = {"uid", "creationTimestamp", "resourceVersion", "generation"};
  for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
    json_t *v = json_object_get(src_meta, owned[i]);
    if (v)
      json_object_set(dst_meta, owned[i], v);
    else
      json_object_del(dst_meta, owned[i]);
  }
}

/* Compares two objects ignoring resourceVersion (which always differs). */
static bool same_object(const json_t *a, const json_t *b) {
  json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
  json_object_del(json_object_get(x, "metadata"), "resourceVersion");
  json_object_del(json_object_get(y, "metadata"), "resourceVersion");
  bool eq = json_equal(x, y);
  json_decref(x);
  json_decref(y);
  return eq;
}

static int check_key(const json_t *obj, size_t i, const char **kind, const char **ns, const char **name,
                     sw_err *err) {
  if (!json_is_object(obj)) return sw_err_set(err, SW_EINVAL, "store: object %zu: expected a JSON object", i);
  *kind = obj_str(obj, "kind", NULL);
  *name = obj_str(obj, "metadata", "name");
  *ns = obj_str(obj, "metadata", "namespace");
  if (!*ns) *ns = "";
  if (!*kind || !**kind)
    return sw_err_set(err, SW_EINVAL, "store: object %zu: kind: expected a non-empty string", i);
  if (!*name || !**name)
    return sw_err_set(err, SW_EINVAL, "store: object %zu (%s): metadata.name: expected a non-empty string", i,
                      *kind);
  return 0;
}

/* Stores `next` (owned, final body) over `old` (may be NULL) at the next
 * revision, unless nothing changed. *out receives the stored object (new ref). */
static int write_one(store_t *s, json_t *next, json_t *old, uint64_t *rev, double now,
                     bool bump_generation_on_spec, json_t **out, sw_err *err) {
  const char *kind = obj_str(next, "kind", NULL);
  const char *name = obj_str(next, "metadata", "name");
  const char *ns = obj_str(next, "metadata", "namespace");
  json_t *meta = json_object_get(next, "metadata");
  json_int_t generation = 1;
  double created = now;
  if (old) {
    json_t *ometa = json_object_get(old, "metadata");
    copy_identity(meta, ometa);
    generation = json_integer_value(json_object_get(ometa, "generation"));
    if (generation < 1) generation = 1;
    if (bump_generation_on_spec && !json_equal(json_object_get(old, "spec"), json_object_get(next, "spec")))
      generation++;
    json_object_set_new(meta, "generation", json_integer(generation));
    double t;
    if (sw_time_parse(obj_str(old, "metadata", "creationTimestamp"), &t) == 0) created = t;
    if (same_object(old, next)) {
      *out = json_incref(old);
      return 0;
    }
  } else {
    char uid[37], ts[32];
    make_uid(uid);
    sw_time_format(now, ts, sizeof ts);
    json_object_set_new(meta, "uid", json_string(uid));
    json_object_set_new(meta, "creationTimestamp", json_string(ts));
    json_object_set_new(meta, "generation", json_integer(1));
  }
  uint64_t rv = ++*rev;
  set_rv(meta, rv);
  int rc = put_row(s, kind, ns, name, next, rv, generation, created, err);
  if (rc) return rc;
  queue_event(s, old ? STORE_MODIFIED : STORE_ADDED, next);
  *out = json_incref(next);
  return 0;
}

int store_apply(store_t *s, json_t *const *objs, size_t n, double now, json_t **results, sw_err *err) {
  if (results)
    for (size_t i = 0; i < n; i++) results[i] = NULL;
  const char *kind, *ns, *name;
  for (size_t i = 0; i < n; i++)
    if (check_key(objs[i], i, &kind, &ns, &name, err)) return SW_EINVAL;
  if (tx_begin(s, err)) return SW_EIO;
  uint64_t rev = s->revision;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    check_key(objs[i], i, &kind, &ns, &name, err);
    json_t *next = json_deep_copy(objs[i]);
    json_t *meta = json_object_get(next, "metadata");
    json_object_set_new(meta, "namespace", json_string(ns));
    json_t *old = store_get(s, kind, ns, name);
    if (old) {
      /* status is kept across apply: it belongs to the controllers */
      json_t *ost = json_object_get(old, "status");
      if (ost)
        json_object_set(next, "status", ost);
      else
        json_object_del(next, "status");
    }
    json_t *stored = NULL;
    rc = write_one(s, next, old, &rev, now, true, &stored, err);
    if (!rc && results)
      results[i] = stored;
    else
      json_decref(stored);
    if (rc) sw_err_prefix(err, "%s %s/%s", kind, ns, name);
    json_decref(next);
    json_decref(old);
  }
  if (!rc)
    rc = tx_commit(s, rev, err);
  else
    tx_rollback(s);
  if (rc && results)
    for (size_t i = 0; i < n; i++) {
      json_decref(results[i]);
      results[i] = NULL;
    }
  return rc;
}

int store_update_status(store_t *s, const char *kind, const char *ns, const char *name, json_t *status,
                        sw_err *err) {
  if (!kind || !name) return sw_err_set(err, SW_EINVAL, "store: update_status: kind and name are required");
  json_t *old = store_get(s, kind, ns, name);
  if (!old) return sw_err_set(err, SW_ENOENT, "%s %s/%s not found", kind, ns ? ns : "", name);
  json_t *next = json_deep_copy(old);
  if (status && !json_is_null(status))
    json_object_set(next, "status", status);
  else
    json_object_del(next, "status");
  int rc = 0;
  if (!json_equal(old, next)) {
    rc = tx_begin(s, err);
    if (!rc) {
      uint64_t rev = s->revision;
      json_t *stored = NULL;
      rc = write_one(s, next, old, &rev, 0, false, &stored, err);
      json_decref(stored);
      if (!rc)
        rc = tx_commit(s, rev, err);
      else
        tx_rollback(s);
    }
  }
  json_decref(next);
  json_decref(old);
  return rc;
}

/* RFC 7386: objects merge recursively, null deletes, anything else replaces. */
static json_t *merge_patch(json_t *target, const json_t *patch) {
  if (!json_is_object(patch)) return json_deep_copy(patch);
  json_t *out = json_is_object(target) ? json_deep_copy(target) : json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)patch, k, v) {
    if (json_is_null(v))
      json_object_del(out, k);
    else
      json_object_set_new(out, k, merge_patch(json_object_get(out, k), v));
  }
  return out;
}

int store_merge_patch(store_t *s, const char *kind, const char *ns, const char *name, json_t *patch,
                      json_t **result, sw_err *err) {
  if (result) *result = NULL;
  if (!kind || !name) return sw_err_set(err, SW_EINVAL, "store: merge_patch: kind and name are required");
  if (!json_is_object(patch)) return sw_err_set(err, SW_EINVAL, "merge patch: expected a JSON object");
  json_t *old = store_get(s, kind, ns, name);
  if (!old) return sw_err_set(err, SW_ENOENT, "%s %s/%s not found", kind, ns ? ns : "", name);
  /* A resourceVersion in the patch is a precondition, as in Kubernetes. */
  const json_t *prv = json_object_get(json_object_get(patch, "metadata"), "resourceVersion");
  if (prv && !json_is_null(prv) && obj_rv(patch) != obj_rv(old)) {
    json_decref(old);
    return sw_err_set(err, SW_ECONFLICT,
                      "%s %s/%s: the object has been modified (resourceVersion %llu, patch expects %llu)",
                      kind, ns ? ns : "", name, (unsigned long long)obj_rv(old),
                      (unsigned long long)obj_rv(patch));
  }
  json_t *next = merge_patch(old, patch);
  /* identity is protected: kind, apiVersion, name, namespace and the store's fields */
  json_object_set(next, "kind", json_object_get(old, "kind"));
  json_object_set(next, "apiVersion", json_object_get(old, "apiVersion"));
  if (!json_is_object(json_object_get(next, "metadata")))
    json_object_set_new(next, "metadata", json_object());
  json_t *meta = json_object_get(next, "metadata");
  json_object_set(meta, "name", json_object_get(json_object_get(old, "metadata"), "name"));
  json_object_set_new(meta, "namespace", json_string(ns ? ns : ""));
  int rc = tx_begin(s, err);
  if (!rc) {
    uint64_t rev = s->revision;
    json_t *stored = NULL;
    rc = write_one(s, next, old, &rev, 0, true, &stored, err);
    if (!rc)
      rc = tx_commit(s, rev, err);
    else
      tx_rollback(s);
    if (!rc && result)
      *result = stored;
    else
      json_decref(stored);
  }
  json_decref(next);
  json_decref(old);
  return rc;
}

int store_delete(store_t *s, const char *kind, const char *ns, const char *name, uint64_t expected_rv,
                 sw_err *err) {
  if (!kind || !name) return sw_err_set(err, SW_EINVAL, "store: delete: kind and name are required");
  json_t *old = store_get(s, kind, ns, name);
  if (!old) return sw_err_set(err, SW_ENOENT, "%s %s/%s not found", kind, ns ? ns : "", name);
  if (expected_rv && obj_rv(old) != expected_rv) {
    int rc = sw_err_set(err, SW_ECONFLICT, "%s %s/%s: resourceVersion is %llu, expected %llu", kind,
                        ns ? ns : "", name, (unsigned long long)obj_rv(old), (unsigned long long)expected_rv);
    json_decref(old);
    return rc;
  }
  int rc = tx_begin(s, err);
  if (!rc) {
    uint64_t rev = s->revision + 1;
    bind_key(s->st_del, kind, ns, name);
    if (sqlite3_step(s->st_del) != SQLITE_DONE) rc = db_fail(s, err, "deleting object");
    sqlite3_reset(s->st_del);
    sqlite3_clear_bindings(s->st_del);
    if (!rc) {
      /* the DELETED event carries the last state at the deletion's revision, as etcd's watch does */
      set_rv(json_object_get(old, "metadata"), rev);
      queue_event(s, STORE_DELETED, old);
      rc = tx_commit(s, rev, err);
    } else
      tx_rollback(s);
  }
  json_decref(old);
  return rc;
}

/* ---- watches ------------------------------------------------------------- */

int store_watch(store_t *s, const char *kind, store_watch_fn fn, void *ud) {
  store_watcher w = {s->next_watch_id++, kind ? sw_xstrdup(kind) : NULL, fn, ud, false};
  sw_vec_push(&s->watchers, w);
  return w.id;
}

void store_unwatch(store_t *s, int watch_id) {
  for (size_t i = 0; i < s->watchers.len; i++) {
    store_watcher *w = &s->watchers.items[i];
    if (w->id != watch_id || w->dead) continue;
    if (s->delivering) {
      w->dead = true;
      return;
    } /* compacted after delivery */
    free(w->kind);
    memmove(w, w + 1, (s->watchers.len - i - 1) * sizeof *w);
    s->watchers.len--;
    return;
  }
}
