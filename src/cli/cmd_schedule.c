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

static char *read_stdin(size_t *len) {
  sw_buf b;
  sw_buf_init(&b);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0) sw_buf_append(&b, chunk, n);
  if (ferror(stdin)) {
    sw_buf_free(&b);
    return NULL;
  }
  *len = b.len;
  return sw_buf_steal(&b);
}

static int explain(const char *file) {
  size_t len = 0;
  char *text;
  sw_err err = {0};
  if (strcmp(file, "-") == 0) {
    text = read_stdin(&len);
    if (!text) {
      fprintf(stderr, "spillway schedule explain: reading stdin failed\n");
      return 1;
    }
  } else {
    text = sw_read_file(file, &len, &err);
    if (!text) {
      fprintf(stderr, "spillway schedule explain: %s\n", err.msg);
      return 1;
    }
  }
  json_error_t jerr;
  json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  free(text);
  const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
  if (!in) {
    fprintf(stderr, "spillway schedule explain: %s:%d:%d: %s\n", name, jerr.line, jerr.column, jerr.text);
    return 1;
  }
  json_t *out = NULL;
  int rc = schedule_explain(in, &out, &err);
  json_decref(in);
  if (rc) {
    fprintf(stderr, "spillway schedule explain: %s: %s\n", name, err.msg);
    return 1;
  }
  char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(out);
  if (!s) {
    fprintf(stderr, "spillway schedule explain: encoding the result failed\n");
    return 1;
  }
  printf("%s\n", s);
  free(s);
  return 0;
}

int cmd_schedule(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    schedule_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "explain") != 0) {
    fprintf(stderr, "spillway schedule: unknown subcommand \"%s\" (expected explain)\n", argv[1]);
    return 2;
  }
  const char *file = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--filename") == 0) {
      if (i + 1 >= argc) {
        fprintf(stderr, "spillway schedule explain: %s needs a file name (or - for stdin)\n", argv[i]);
        return 2;
      }
      file = argv[++i];
    } else if (strncmp(argv[i], "-f=", 3) == 0 || strncmp(argv[i], "--filename=", 11) == 0) {
      file = strchr(argv[i], '=') + 1;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      schedule_usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "spillway schedule explain: unknown argument \"%s\"\n", argv[i]);
      return 2;
    }
  }
  if (!file || !*file) {
    fprintf(stderr, "spillway schedule explain: -f INPUT.json (or -f - for stdin) is required\n");
    return 2;
  }
  return explain(file);
}
