/**
 * Something with a lifecycle: the container starts it after listening (jobs only where
 * SLBP_JOBS_ENABLED) and stops it on shutdown, in reverse order.
 */
export interface Service {
  name: string;
  start?(): Promise<void> | void;
  stop(): Promise<void> | void;
}
