/*
 * metrics_source.h — the autoscaler's view of metrics, answered by the
 * metrics hub (spillway's own scrapes, or a Prometheus server when one is
 * configured). Role in the data flow: the seam between src/metrics and
 * src/autoscale, so neither part knows the other.
 */
#ifndef UP_METRICS_SOURCE_H
#define UP_METRICS_SOURCE_H

#include "autoscale/autoscale.h"

struct metrics_hub;

/* Fills src with functions that read from hub (borrowed; must outlive src). */
void up_metrics_source(autoscale_metrics_source *src, struct metrics_hub *hub);

#endif
