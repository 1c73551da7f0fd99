// Package schedule runs periodic jobs (the daily retention cleanup, the
// weekly CRT report) exactly once per period across restarts and replicas.
//
// State lives in Redis, never in memory: a period is claimed with a lease
// lock and finished with a done-marker, so a restart inside the window or a
// second replica does not repeat a job, and a process that was down at the
// due time catches up as long as the period has not ended. Every key is a
// single-key operation under ash:schedule:, which keeps it Redis Cluster safe.
package schedule
