/* cmd_describe.c — `spillway describe`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_describe(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway describe: not available in this build yet\n");
  return 2;
}
