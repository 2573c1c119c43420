import type { Queryable } from '../data/database.ts';
import type { SlotLock, SlotOutcome } from './slot-lock.ts';

/**
 * A periodic job that one node of the pool runs per time slot of `everyMs`: the slot lock elects
 * the node (for most of the slot), `work` runs there with the connection that holds the lock, and
 * `alreadyDone`, asked under the database lock when Redis is down, skips a slot another node
 * finished. Resolves to `ran` on the node that ran it, `taken` on the others.
 */
export function slotJob(
  lock: SlotLock,
  job: string,
  everyMs: number,
  work: (q: Queryable, now: Date) => Promise<void>,
  alreadyDone?: (q: Queryable, slotStart: Date) => Promise<boolean>,
): (now: Date) => Promise<SlotOutcome> {
  return (now) => {
    const slot = Math.floor(now.getTime() / everyMs);
    const start = new Date(slot * everyMs);
    return lock.runOnce(job, slot, everyMs - 5000, (q) => work(q, now), alreadyDone && ((q) => alreadyDone(q, start)));
  };
}
