/*
 * cmd_schedule.c — `spillway schedule explain -f INPUT.json|-`: prints, as
 * JSON, the placement the fleet scheduler would compute for a described
 * policy, replica count and fleet (src/schedule/explain.h has the format).
 * A thin client: reads the file, calls schedule_explain(), prints. No control
 * plane is needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/sw.h"
#include "cli/cli.h"
#include "schedule/explain.h"

static void schedule_usage(FILE *f) {
  fprintf(
      f,
      "usage: spillway schedule explain -f INPUT.json|-\n\n"
      "Prints the placement the fleet scheduler computes for INPUT (- reads stdin):\n"
      "  {\"placement\": <PropagationPolicy spec.placement>, \"replicas\": N,\n"
      "   \"clusters\": [{\"name\", \"labels\", \"ready\", \"availableReplicas\",\n"
      "                 \"provisionableReplicas\", \"readyReplicas\"}],\n"
      "   \"previous\": {\"cluster\": n}, \"failBack\": false}\n"
      "Output: {\"clusters\": {\"name\": n}, \"tier\": name|null, \"unscheduled\": n, \"reason\": \"...\"}\n"
      "See docs/schedule.md.\n");
}

int cmd_schedule(int argc, char **argv) { return cli_explain(argc, argv, "schedule", schedule_usage, schedule_explain); }
