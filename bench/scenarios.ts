import type { LoadSpec } from './load.ts';

const NS = '/wp-json/skylearn-billing-pro/v1';

export interface BenchContext {
  sidecarUrl: string;
  secret: string;
  db: string;
  /** Path → body the bare baseline answers from memory (filled by `prepare`). */
  cachedPayloads: Record<string, string>;
}

type Partial = Omit<LoadSpec, 'url' | 'connections' | 'durationSec'>;

export interface Scenario {
  name: string;
  target: string;
  baselineName: 'bare' | 'direct';
  prepare?(ctx: BenchContext): Promise<void>;
  sidecar(ctx: BenchContext): Partial;
  baseline(ctx: BenchContext): Partial;
  /** Extra measured lines for the report (e.g. cold/warm timings). */
  extra?(ctx: BenchContext): Promise<string[]>;
}

/** The benchmark's scenarios, each with the baseline it is compared against. */
export const scenarios: Scenario[] = [
  {
    name: '/live',
    target: '≥ 0.75 × bare',
    baselineName: 'bare',
    sidecar: () => ({ paths: [`${NS}/live`] }),
    baseline: () => ({ paths: ['/live'] }),
  },
  {
    name: '/health',
    target: '≥ 0.6 × direct',
    baselineName: 'direct',
    sidecar: () => ({ paths: [`${NS}/health`] }),
    baseline: () => ({ paths: ['/health'] }),
  },
];
