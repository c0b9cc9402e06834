/*
 * internal.h — state shared by the autoscaling part's controllers
 * (controller.c, kserve.c). Not for other parts: use autoscale.h.
 */
#ifndef AUTOSCALE_INTERNAL_H
#define AUTOSCALE_INTERNAL_H

#include "autoscale/autoscale.h"
#include "plane/plane.h"

struct autoscale_controller {
  autoscale_metrics_source src; /* copied; src.ud borrowed */
  autoscale_opts opts;
  plane *p; /* borrowed */
  int watch_ids[3];
  size_t n_watches;
};

#endif
