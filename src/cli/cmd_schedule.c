/* cmd_schedule.c — `spillway schedule`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_schedule(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway schedule: not available in this build yet\n");
  return 2;
}
