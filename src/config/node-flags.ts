/**
 * Node flags the sidecar runs with in production (systemd unit, local pool, demo, benchmark).
 *
 * `--max-old-space-size=192`: V8 lets the old generation grow to several times the live heap
 * before a full collection when no limit is near: a busy node with a full in-process cache
 * reached 325 MB resident while about 100 MB was live. With the old generation bounded at 192 MB,
 * V8 collects earlier as it nears the bound and the node stays under the 250 MB the operations
 * guide sizes nodes for (measured: 218 MB peak under the same load, no loss of throughput). The
 * live heap is far below the bound: the cache is capped (SLBP_CACHE_L1_MAX_BYTES), and backups,
 * exports and imports stream.
 *
 * `--no-allocation-site-pretenuring`: V8 watches which allocation sites' objects survive a young
 * collection and, past 85 % of at least 100, allocates that site's objects in the old generation
 * from then on, for the life of the process. Short-lived objects can look long-lived at one
 * moment (say, 64 requests held open together while they wait on one load), and some processes
 * pretenured the objects every cached read makes and drops: each read then cost twice the CPU
 * (30 → 60-70 µs, the extra mostly GC: 5 ms scavenges and a full collection every 170 ms) for as
 * long as the process ran, and whether it happened differed from one start to the next. What
 * the sidecar keeps (cache entries, pools) is promoted by the young collections anyway.
 * docs/decisions/0032-….
 *
 * The same list is written out in scripts/demo.sh, config/systemd, package.json and the README
 * (a test keeps them equal).
 */
export const SIDECAR_NODE_FLAGS = ['--max-old-space-size=192', '--no-allocation-site-pretenuring'] as const;
