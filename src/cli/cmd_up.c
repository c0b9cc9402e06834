/* cmd_up.c — `spillway up`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_up(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway up: not available in this build yet\n");
  return 2;
}
