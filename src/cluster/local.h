/*
 * local.h — the embedded default driver: a cluster whose nodes are virtual
 * (node pools from the Cluster spec) and whose replicas are processes on this
 * machine. See local.c for the pod lifecycle it reproduces.
 */
#ifndef CLUSTER_LOCAL_H
#define CLUSTER_LOCAL_H

#include "cluster/driver.h"

extern const cluster_driver_ops cluster_local_ops;

/* Kubelet back-off for restarting a crashed container, as a pure function:
 * given the current back-off (0 = none) and the seconds since it was last
 * bumped, returns the delay before this restart and updates *backoff.
 * First crash: restart at once, back-off becomes 10 s; then 10, 20, 40 ...
 * capped at 300 s; forgotten after 600 s without a crash (kubelet's
 * flowcontrol.Backoff with MaxContainerBackOff 300 s). */
double cluster_restart_delay(double *backoff, double since_last_bump);

#endif
