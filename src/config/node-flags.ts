/**
 * Node flags the sidecar runs with in production (systemd unit, local pool, demo, benchmark).
 * V8 lets the old generation grow to several times the live heap before a full collection when
 * no limit is near: a busy node with a full in-process cache reached 325 MB resident while about
 * 100 MB was live. With the old generation bounded at 192 MB, V8 collects earlier as it nears
 * the bound and the node stays under the 250 MB the operations guide sizes nodes for (measured:
 * 218 MB peak under the same load, no loss of throughput). The live heap is far below the bound:
 * the cache is capped (SLBP_CACHE_L1_MAX_BYTES), and backups, exports and imports stream.
 * The same list is written out in scripts/demo.sh, config/systemd, package.json and the README
 * (a test keeps them equal).
 */
export const SIDECAR_NODE_FLAGS = ['--max-old-space-size=192'] as const;
