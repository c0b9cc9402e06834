/*
 * cmd_describe.c — `spillway describe KIND NAME [-n NS]`: one object in detail
 * (api_describe) with what relates to it: the Events whose involvedObject is
 * it, and for a Deployment its ResourceBinding "<name>-deployment" and the
 * pods whose spillway.io/owner annotation names it.
 *
 * Role in the data flow: a read-only client of the API server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

static void usage(void) { fprintf(stderr, "usage: spillway describe KIND NAME [-n NAMESPACE]\n"); }

static void add_query(sw_buf *b, const char *q) {
  for (const char *p = q; *p; p++) {
    unsigned char ch = (unsigned char)*p;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
        ch == '.' || ch == '_' || ch == '=' || ch == ',')
      sw_buf_append(b, p, 1);
    else
      sw_buf_printf(b, "%%%02X", ch);
  }
}

/* Related objects are best effort: a missing binding or a failed list leaves
 * that section out rather than failing the command. */
static json_t *related_of(client *c, const api_kind *k, const json_t *obj, const char *ns, const char *name) {
  json_t *rel = json_object();
  sw_err err;
  const api_kind *ek = api_kind_lookup("Event");
  if (ek) {
    char *p = client_path(ek, NULL, NULL, NULL);
    sw_buf q;
    sw_buf_init(&q);
    sw_buf_printf(&q, "%s?fieldSelector=", p);
    char *fs = sw_xasprintf("involvedObject.kind=%s,involvedObject.name=%s,involvedObject.namespace=%s",
                            k->kind, name, k->namespaced ? ns : "");
    add_query(&q, fs);
    free(fs);
    free(p);
    json_t *l = client_json(c, "GET", q.data, NULL, NULL, NULL, &err);
    sw_buf_free(&q);
    if (l) json_object_set(rel, "events", json_object_get(l, "items"));
    json_decref(l);
  }
  if (strcmp(k->kind, "Deployment") == 0) {
    const api_kind *bk = api_kind_lookup("ResourceBinding");
    if (bk) {
      char *bname = sw_xasprintf("%s-deployment", name);
      char *p = client_path(bk, ns, bname, NULL);
      json_t *b = client_json(c, "GET", p, NULL, NULL, NULL, &err);
      if (b) json_object_set_new(rel, "binding", b);
      free(p);
      free(bname);
    }
    const api_kind *pk = api_kind_lookup("Pod");
    if (pk) {
      char *p = client_path(pk, ns, NULL, NULL);
      json_t *l = client_json(c, "GET", p, NULL, NULL, NULL, &err);
      free(p);
      json_t *pods = json_array();
      size_t i;
      json_t *pod;
      json_array_foreach(json_object_get(l, "items"), i, pod) {
        const char *owner = json_string_value(json_object_get(
            json_object_get(json_object_get(pod, "metadata"), "annotations"), "spillway.io/owner"));
        if (owner && strcmp(owner, name) == 0) json_array_append(pods, pod);
      }
      json_object_set_new(rel, "pods", pods);
      json_decref(l);
    }
  }
  (void)obj;
  return rel;
}

int cmd_describe(int argc, char **argv) {
  client_opts co = {0};
  const char *ns = NULL;
  client_args pos = {0};
  int rc = 2;
  int pr = client_parse_command(argc, argv, "describe", usage, &co, &ns, NULL, NULL, &pos);
  if (pr) {
    if (pr > 0) rc = 0;
    goto done;
  }
  if (pos.len == 0) {
    usage();
    goto done;
  }
  char kindbuf[128];
  const char *name = NULL;
  const api_kind *k = client_kind_arg(pos.items[0], &name, kindbuf, sizeof kindbuf);
  if (!k) goto done;
  if ((name && pos.len != 1) || (!name && pos.len != 2)) {
    client_error("describe: expected KIND NAME or KIND/NAME");
    usage();
    goto done;
  }
  if (!name) name = pos.items[1];
  rc = 1;
  const char *qns = k->namespaced ? (ns ? ns : "default") : NULL;
  client *c = NULL;
  sw_err err;
  if (client_open(&c, &co, &err)) {
    client_error("%s", err.msg);
    goto done;
  }
  char *path = client_path(k, qns, name, NULL);
  json_t *obj = client_json(c, "GET", path, NULL, NULL, NULL, &err);
  free(path);
  if (!obj)
    client_error("%s", err.msg);
  else {
    json_t *rel = related_of(c, k, obj, qns ? qns : "", name);
    char *text = api_describe(k, obj, rel, client_now(c));
    fputs(text ? text : "", stdout);
    free(text);
    json_decref(rel);
    json_decref(obj);
    rc = 0;
  }
  client_close(c);
done:
  sw_vec_free(&pos);
  return rc;
}
