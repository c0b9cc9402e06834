/*
 * cmd_autoscale.c — `spillway autoscale explain -f STATE.json|-`: reads a
 * state file, runs one reconcile of the HPA algorithm (autoscale_explain) and
 * prints the result as JSON. A thin client of src/autoscale; no control plane,
 * no clock (the state carries `now`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale/autoscale.h"
#include "cli/cli.h"

static void usage(FILE *f) {
  fprintf(f, "usage: spillway autoscale explain -f STATE.json|-\n"
             "\n"
             "Runs one reconcile of the autoscaler (the Kubernetes HPA algorithm) on the\n"
             "state in STATE.json (or stdin with -) and prints the decision as JSON:\n"
             "desiredReplicas, each metric's current value and proposal, the conditions\n"
             "AbleToScale / ScalingActive / ScalingLimited and why the result was limited.\n"
             "The input format is described in docs/autoscale.md.\n");
}

int cmd_autoscale(int argc, char **argv) { return cli_explain(argc, argv, "autoscale", usage, autoscale_explain); }
