/*
 * store.h — the object store: every manifest object and its status, with a
 * revision per change and in-process watches.
 *
 * Role in the data flow: the API server writes users' objects here; every
 * controller reads desired state from here and writes status back; watchers
 * are told of every change in commit order. Backed by SQLite in WAL mode (the
 * embedded default) so a restart finds everything as it was; ":memory:" for
 * tests and the simulator.
 *
 * Objects are Kubernetes-shaped JSON (jansson): apiVersion, kind, metadata,
 * spec, status. The store owns metadata.uid, resourceVersion, generation and
 * creationTimestamp; callers never set them. Objects are keyed by
 * (kind, namespace, name): the kind name alone, so the Karmada and ACK One API
 * groups of PropagationPolicy / FederatedHPA are aliases of one kind.
 * Cluster-scoped kinds use namespace "".
 *
 * Single-threaded: call only from the control plane's loop thread.
 * Ownership: json_t arguments are borrowed (the store copies what it keeps);
 * json_t results are new references the caller must json_decref.
 */
#ifndef STORE_H
#define STORE_H

#include <jansson.h>
#include <stdint.h>

#include "base/sw.h"

typedef struct store store_t;

typedef enum { STORE_ADDED, STORE_MODIFIED, STORE_DELETED } store_event_type;

/* path: a file (created if missing, WAL mode) or ":memory:". */
int store_open(store_t **out, const char *path, sw_err *err);
void store_close(store_t *s);

/* Creates or updates every object in one transaction: all or none. For an
 * update, spec/labels/annotations are replaced, status is kept, generation is
 * bumped when spec changed, resourceVersion always. `now` is the clock time
 * recorded as creationTimestamp of new objects. results (optional, n slots)
 * receive the stored objects. */
int store_apply(store_t *s, json_t *const *objs, size_t n, double now, json_t **results, sw_err *err);

/* New reference, or NULL when absent. */
json_t *store_get(store_t *s, const char *kind, const char *ns, const char *name);

/* A new JSON array of objects of one kind, ordered by namespace then name.
 * ns NULL lists every namespace. */
json_t *store_list(store_t *s, const char *kind, const char *ns);

/* Replaces .status only (does not bump generation). */
int store_update_status(store_t *s, const char *kind, const char *ns, const char *name,
                        json_t *status, sw_err *err);

/* RFC 7386 merge patch applied to the whole object (metadata identity fields
 * are protected); used by `scale` and controllers that set spec.replicas. */
int store_merge_patch(store_t *s, const char *kind, const char *ns, const char *name,
                      json_t *patch, json_t **result, sw_err *err);

/* If expected_rv is non-zero and differs from the object's resourceVersion,
 * fails with SW_ECONFLICT. */
int store_delete(store_t *s, const char *kind, const char *ns, const char *name,
                 uint64_t expected_rv, sw_err *err);

uint64_t store_revision(store_t *s);

/* obj is borrowed for the duration of the call. For DELETED, obj is the last
 * stored state. kind NULL watches every kind. Returns a watch id. */
typedef void (*store_watch_fn)(void *ud, store_event_type type, const json_t *obj);
int store_watch(store_t *s, const char *kind, store_watch_fn fn, void *ud);
void store_unwatch(store_t *s, int watch_id);

#endif
