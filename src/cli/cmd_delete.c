/* cmd_delete.c — `spillway delete`. Placeholder until its part lands; exits 2. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_delete(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spillway delete: not available in this build yet\n");
  return 2;
}
