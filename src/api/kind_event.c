/*
 * kind_event.c — v1 Event (core events, the shape plane_event writes):
 * involvedObject, reason, message, type Normal|Warning, count,
 * first/lastTimestamp, source.component.
 *
 * Role in the data flow: controllers record what they did (SuccessfulRescale,
 * Scheduled, Provisioning...); `get events` and every describe print them.
 * Events have no spec: their fields are top-level. Never: I/O.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"

static const char *const event_types[] = {"Normal", "Warning", NULL};

static const api_field f_source[] = {
    {.name = "component", .type = AT_STRING},
    {.name = "host", .type = AT_STRING},
    {0},
};

static const api_field f_top[] = {
    {.name = "involvedObject", .type = AT_OBJECT, .flags = AF_REQUIRED, .fields = api_f_object_ref},
    {.name = "reason", .type = AT_STRING},
    {.name = "message", .type = AT_STRING},
    {.name = "source", .type = AT_OBJECT, .fields = f_source},
    {.name = "firstTimestamp", .type = AT_TIME},
    {.name = "lastTimestamp", .type = AT_TIME},
    {.name = "count", .type = AT_INT, .flags = AF_NONNEG},
    {.name = "type", .type = AT_STRING, .enums = event_types},
    {.name = "eventTime", .type = AT_STRING},
    {.name = "series", .type = AT_OBJECT},
    {.name = "action", .type = AT_STRING},
    {.name = "related", .type = AT_OBJECT, .fields = api_f_object_ref},
    {.name = "reportingComponent", .type = AT_STRING},
    {.name = "reportingInstance", .type = AT_STRING},
    {0},
};

static const char *const columns[] = {"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE", NULL};

static void row(api_row *r, const json_t *obj, double now, bool wide) {
  const char *ts = api_str(obj, "lastTimestamp");
  if (!ts) ts = api_str(obj, "eventTime");
  if (!ts) ts = api_str(obj, "firstTimestamp");
  if (!ts) ts = api_strp(obj, "metadata.creationTimestamp");
  double t;
  char age[32] = "<unknown>";
  if (ts && sw_time_parse(ts, &t) == 0) sw_age_format(now - t, age, sizeof age);
  const char *type = api_str(obj, "type"), *reason = api_str(obj, "reason"), *msg = api_str(obj, "message");
  const char *kind = api_strp(obj, "involvedObject.kind"), *name = api_strp(obj, "involvedObject.name");
  char lk[64] = "";
  for (size_t i = 0; kind && kind[i] && i + 1 < sizeof lk; i++)
    lk[i] = (char)tolower((unsigned char)kind[i]), lk[i + 1] = 0;
  api_row_add(r, "%s", age);
  api_row_add(r, "%s", type ? type : "");
  api_row_add(r, "%s", reason ? reason : "");
  api_row_add(r, "%s/%s", lk, name ? name : "");
  api_row_add(r, "%s", msg ? msg : "");
}

const api_kind_def api_kind_event = {
    .k = {.kind = "Event",
          .plural = "events",
          .short_names = {"ev"},
          .group = "",
          .version = "v1",
          .namespaced = true,
          .system = true},
    .top = f_top,
    .columns = columns,
    .row = row,
};
