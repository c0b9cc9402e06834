/*
 * process.h — the local driver's hands: replica processes (uv_spawn, own
 * process group, log file, pid record), readiness/liveness probes (tcpSocket
 * and httpGet over libuv), free host ports, and the cleanup of replicas a
 * killed control plane left behind.
 *
 * Role in the data flow: only the local driver (local.c) calls this; it is
 * the one place in src/cluster that touches processes, sockets, signals and
 * files. It decides nothing: timing and policy are the driver's.
 *
 * Orphans: every replica runs in its own process group (setsid through
 * UV_PROCESS_DETACHED) and, when util-linux's setpriv is installed, under
 * `setpriv --pdeathsig KILL --` so the kernel kills it if the control plane
 * dies. A pid record (pid, process start time from /proc/<pid>/stat) is kept
 * per running replica; cluster_proc_recover() kills the groups of records left
 * by a run that was killed (SIGTERM, then SIGKILL) — clean, never adopt.
 *
 * Threading: the loop's thread only. Ownership: handles returned are owned by
 * this module and freed after cluster_proc_release / cluster_probe_cancel or
 * the probe's callback.
 */
#ifndef CLUSTER_PROCESS_H
#define CLUSTER_PROCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/sw.h"

typedef struct cluster_proc cluster_proc;

/* Called once when the process exits (exit status, or the signal that killed it). */
typedef void (*cluster_proc_exit_fn)(void *ud, int64_t exit_status, int term_signal);

typedef struct cluster_proc_opts {
  const char *const *argv; /* NULL-terminated; argv[0] is looked up in PATH */
  const char *const *envp; /* NULL-terminated "K=V" */
  const char *cwd;         /* NULL: inherit */
  const char *log_path;    /* stdout and stderr appended here (created) */
  const char *record_path; /* pid record to write (and remove on release); NULL: none */
  const char *record_note; /* free text stored in the record (e.g. "cluster/ns/pod") */
  bool pdeathsig;          /* wrap in setpriv --pdeathsig KILL when available */
} cluster_proc_opts;

int cluster_proc_spawn(uv_loop_t *loop, const cluster_proc_opts *o, cluster_proc_exit_fn fn, void *ud,
                       cluster_proc **out, sw_err *err);
int cluster_proc_pid(const cluster_proc *p);
/* Signals the whole process group. */
void cluster_proc_signal(cluster_proc *p, int sig);
/* Forgets the process: its exit callback is not called any more; if it still
 * runs, its group is SIGKILLed; what remains of the group after exit is
 * SIGKILLed; the pid record is removed; memory is freed once the handle closes. */
void cluster_proc_release(cluster_proc *p);

/* Probes write to sockets a replica may close at any time: SIGPIPE must not
 * kill the control plane. Sets it to ignored unless someone handles it. */
void cluster_proc_ignore_sigpipe(void);

/* Whether `setpriv --pdeathsig` wrapping is available on this machine. */
bool cluster_proc_have_pdeathsig(void);

/* Kills the process groups of every pid record under root/<any>/pids/ whose
 * process still runs with the recorded start time (SIGTERM, up to grace_ms
 * for them to exit, then SIGKILL), and removes the records. Blocks up to
 * grace_ms; call before the loop runs. *killed (optional) counts groups signalled. */
int cluster_proc_recover(const char *root, int grace_ms, int *killed, sw_err *err);

/* ---- probes ---------------------------------------------------------------- */

typedef struct cluster_probe cluster_probe;
/* ok: the probe succeeded; detail: why not, in the kubelet's words. */
typedef void (*cluster_probe_fn)(void *ud, bool ok, const char *detail);

typedef struct cluster_probe_req {
  bool http;             /* httpGet, else tcpSocket */
  int port;              /* host port on 127.0.0.1 */
  const char *path;      /* httpGet */
  const json_t *headers; /* httpGet: [{name, value}] or NULL */
  uint64_t timeout_ms;   /* real milliseconds */
} cluster_probe_req;

/* Starts one probe; fn is called exactly once unless cancelled first. */
cluster_probe *cluster_probe_start(uv_loop_t *loop, const cluster_probe_req *r, cluster_probe_fn fn,
                                   void *ud);
void cluster_probe_cancel(cluster_probe *p);

/* ---- small things ------------------------------------------------------------ */

/* A free TCP port on 127.0.0.1 (bind port 0, read it, close), not in avoid[]. */
int cluster_free_port(const int *avoid, size_t navoid, int *port, sw_err *err);
/* mkdir -p */
int cluster_mkdirs(const char *path, sw_err *err);
/* Removes a file; missing is fine. */
void cluster_remove_file(const char *path);
/* The running binary's absolute path (/proc/self/exe resolved); NULL if unknown. Caller frees. */
char *cluster_self_exe(void);

#endif
