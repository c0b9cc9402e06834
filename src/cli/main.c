/*
 * main.c — the `spillway` binary: dispatches to a subcommand. Nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "base/sw.h"
#include "cli/cli.h"

/* Weak, so a partial build (SPILLWAY_PARTS) links without the parts it left
 * out; such a command answers that it is not built. */
#pragma weak cmd_up
#pragma weak cmd_apply
#pragma weak cmd_get
#pragma weak cmd_describe
#pragma weak cmd_delete
#pragma weak cmd_scale
#pragma weak cmd_logs
#pragma weak cmd_engine
#pragma weak cmd_gateway
#pragma weak cmd_autoscale
#pragma weak cmd_schedule
#pragma weak cmd_serve
#pragma weak cmd_metrics
#pragma weak cmd_top
#pragma weak cmd_rollout

typedef struct {
  const char *name;
  int (*fn)(int, char **);
  const char *help;
} command;

static const command commands[] = {
    {"up", cmd_up, "run the control plane, embedded clusters and the gateway"},
    {"apply", cmd_apply, "create or update objects from manifests (-f FILE|DIR|-)"},
    {"get", cmd_get, "list objects (get KIND [NAME] [-n NS] [-A] [-o yaml|json|wide] [-w])"},
    {"describe", cmd_describe, "show one object in detail, with its status and events"},
    {"delete", cmd_delete, "delete objects (delete KIND NAME | -f FILE)"},
    {"scale", cmd_scale, "set a Deployment's replicas (scale deployment NAME --replicas=N)"},
    {"rollout", cmd_rollout, "rollout restart|status deployment/NAME: replace every replica, or wait for it"},
    {"logs", cmd_logs, "print a pod's log"},
    {"engine", cmd_engine, "run the simulated vLLM-compatible model server"},
    {"gateway", cmd_gateway, "run the OpenAI-compatible gateway standalone"},
    {"autoscale", cmd_autoscale, "autoscale explain -f STATE.json: one HPA reconcile, as JSON"},
    {"schedule", cmd_schedule, "schedule explain -f INPUT.json: one placement, as JSON"},
    {"serve", cmd_serve, "serve kserve ...: create an InferenceService as arena does"},
    {"top", cmd_top, "top pods [-n NS | -A]: each replica's queue, KV-cache and GPU load"},
    {"metrics", cmd_metrics, "metrics scrape URL | metrics query ...: see what the autoscaler sees"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: spillway COMMAND [ARGS]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
  fprintf(f, "  %-10s %s\n", "version", "print the version");
}

int main(int argc, char **argv) {
  if (argc < 2) { usage(stderr); return 2; }
  const char *name = argv[1];
  if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(name, "version") == 0 || strcmp(name, "--version") == 0) {
    printf("spillway %s\n", SPILLWAY_VERSION);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(commands[i].name, name) == 0) {
      if (!commands[i].fn) {
        fprintf(stderr, "spillway %s: not part of this build\n", name);
        return 2;
      }
      return commands[i].fn(argc - 1, argv + 1);
    }
  fprintf(stderr, "spillway: unknown command \"%s\" (see spillway --help)\n", name);
  return 2;
}
