import type { z } from 'zod';
import { attributesSchema, envelopeSchema, eventKind, isHandled, type Envelope, type HandledEvent } from './lemon-squeezy-event.ts';

/** Deepest nesting a delivery may have; Lemon Squeezy's objects nest a few levels. */
export const MAX_NESTING = 32;

/** What a verified delivery turned out to be, before anything is written. */
export type CheckedDelivery =
  | { kind: 'valid'; event: HandledEvent; env: Envelope }
  | { kind: 'ignored'; event: string }
  | { kind: 'invalid'; event: string; reason: string };

/** Whether `value` nests deeper than `limit` levels (walked without recursion: a hostile body may nest a million deep). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

const describe = (error: z.ZodError, prefix: string): string => {
  const issue = error.issues[0]!;
  return `${[prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'body'}: ${issue.message}`;
};

/**
 * Checks the values of a delivery whose signature was verified, before anything is written: its
 * shape, every amount (whole, non-negative cents that the columns hold), currency (ISO 4217),
 * id, email, text length, status and date, and its nesting. A step of its own, so the same check
 * applies wherever deliveries are applied from. An event the sidecar does not handle is `ignored`.
 */
export function checkDelivery(parsed: unknown): CheckedDelivery {
  const named = (parsed as { meta?: { event_name?: unknown } } | null)?.meta?.event_name;
  const event = typeof named === 'string' && named ? named.slice(0, 50) : 'unknown';
  if (nestsDeeperThan(parsed, MAX_NESTING))
    return { kind: 'invalid', event, reason: `the body nests more than ${MAX_NESTING} levels deep` };
  const env = envelopeSchema.safeParse(parsed);
  if (!env.success) return { kind: 'invalid', event, reason: describe(env.error, '') };
  if (!isHandled(env.data.meta.event_name)) return { kind: 'ignored', event };
  const attributes = attributesSchema(eventKind(env.data.meta.event_name)).safeParse(env.data.data.attributes);
  if (!attributes.success) return { kind: 'invalid', event, reason: describe(attributes.error, 'data.attributes') };
  return { kind: 'valid', event: env.data.meta.event_name, env: env.data };
}
