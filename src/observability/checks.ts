/** What a health check found: healthy or not, a one-line message, and details of its own. */
export interface CheckResult {
  healthy: boolean;
  message: string;
  [extra: string]: unknown;
}

/** A named section of /health/detailed's service_checks, contributed by a feature. */
export type DetailProvider = () => Promise<CheckResult> | CheckResult;
