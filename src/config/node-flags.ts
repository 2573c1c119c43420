/**
 * Node flags the sidecar runs with in production (systemd unit, local pool, demo, benchmark).
 * V8 grows its young generation with the allocation rate, up to three 16 MB semi-spaces; a busy
 * sidecar then holds tens of megabytes of short-lived garbage between scavenges. Capped at 4 MB,
 * scavenges run more often and each is shorter (the young objects of a request rarely survive
 * one), and the resident set stays under the 250 MB the operations guide sizes nodes for.
 * The same list is written out in scripts/demo.sh, config/systemd and package.json (a test keeps
 * them equal).
 */
export const SIDECAR_NODE_FLAGS = ['--max-semi-space-size=4'] as const;
