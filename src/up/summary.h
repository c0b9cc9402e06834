/*
 * summary.h — the live one-screen summary `spillway up` shows on a terminal:
 * clusters, replicas per cluster, queue and requests/s, redrawn every second.
 * Reads the store and the metrics hub; writes only to stdout.
 */
#ifndef UP_SUMMARY_H
#define UP_SUMMARY_H

#include <jansson.h>

#include "base/sw.h"

struct plane;
struct metrics_hub;

typedef struct up_summary up_summary;
/* footer (copied; may be NULL) is printed under the summary: the addresses
 * and commands to try, which the redraw would otherwise clear. */
up_summary *up_summary_start(struct plane *p, struct metrics_hub *hub, const char *footer);
void up_summary_free(up_summary *s);

/* Pure: the screen's text for these objects. waiting/running/rps are the
 * fleet totals (NaN when unknown). Caller frees. */
char *up_summary_render(const json_t *clusters, const json_t *bindings, const json_t *pods, double now,
                        double time_scale, double waiting, double running, double rps);

#endif
