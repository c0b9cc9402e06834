/* cmd_logs.c — `spillway logs`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_logs(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway logs: not available in this build yet\n");
  return 2;
}
