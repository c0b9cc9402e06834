/* libFuzzer target for the CLI's argument handling (command lines are outside
 * input): the bytes, split at NUL into argv words, go through the argument
 * loop every resource command shares (client_parse_command with an extra
 * `--flag VALUE`), then each positional through KIND[/NAME] resolution and
 * the API path built from it. Usage errors print and return; nothing may
 * crash, leak or read past a word. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void usage(void) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size + 1);
  memcpy(copy, data, size);
  copy[size] = 0;
  int words = 1;
  for (size_t i = 0; i < size; i++)
    if (copy[i] == 0) words++;
  char **argv = malloc(sizeof *argv * (size_t)(words + 2));
  int argc = 0;
  argv[argc++] = "scale";
  for (char *w = copy; w <= copy + size && argc <= words; w += strlen(w) + 1) argv[argc++] = w;
  argv[argc] = NULL;

  client_opts co = {0};
  const char *ns = NULL, *extra = NULL;
  client_args pos = {0};
  if (client_parse_command(argc, argv, "scale", usage, &co, &ns, "--replicas", &extra, &pos) == 0) {
    for (size_t i = 0; i < pos.len; i++) {
      const char *name = NULL;
      char kindbuf[128];
      const api_kind *k = client_kind_arg(pos.items[i], &name, kindbuf, sizeof kindbuf);
      if (!k) continue;
      free(client_path(k, ns, name, name ? "scale" : NULL));
    }
  }
  sw_vec_free(&pos);
  free(argv);
  free(copy);
  return 0;
}
