import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { NonceStore } from '../../cache/nonce-store.ts';
import type { Caller } from '../../domain/caller.ts';
import type { UserDirectory } from '../../domain/user-directory.ts';
import { isClientAddress } from '../client-ip.ts';
import type { IdentityResolver } from '../middleware/identity.ts';
import { SidecarError } from '../../errors.ts';
import type { AppContext } from '../route.ts';

/** How far a signed request's timestamp may be from our clock. */
export const MAX_SKEW_SEC = 60;

/**
 * The string the shim signs (docs/decisions/0004-shim-signature.md):
 * METHOD \n path-with-query \n sha256-hex(body) \n timestamp \n nonce \n user-id
 */
export function shimStringToSign(
  method: string,
  pathWithQuery: string,
  body: Buffer | string,
  timestamp: string,
  nonce: string,
  userId: string,
): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return [method.toUpperCase(), pathWithQuery, bodyHash, timestamp, nonce, userId].join('\n');
}

export function shimSignature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

const refuse = (code: string, message: string) => new SidecarError(code, message, 401);

/** Verifies X-SLBP-* headers from the WordPress shim; the user's roles come from the database. */
export function shimIdentity(secret: string, nonces: NonceStore, users: UserDirectory): IdentityResolver {
  return {
    name: 'shim',
    headers: ['x-slbp-signature'],
    async resolve(ctx: AppContext): Promise<Caller | null> {
      const signature = ctx.get('X-SLBP-Signature');
      if (!signature) return null;
      if (!secret) throw refuse('slbp_shim_not_configured', 'This sidecar has no shim secret configured (SLBP_SIDECAR_SECRET).');
      const userId = ctx.get('X-SLBP-User');
      const timestamp = ctx.get('X-SLBP-Timestamp');
      const nonce = ctx.get('X-SLBP-Nonce');
      if (
        !/^\d{1,20}$/.test(userId) ||
        !/^\d{1,12}$/.test(timestamp) ||
        !/^[A-Za-z0-9_-]{16,128}$/.test(nonce) ||
        !/^[a-f0-9]{64}$/i.test(signature)
      ) {
        throw refuse('slbp_invalid_signature', 'The request signature headers are malformed.');
      }
      const expected = shimSignature(
        secret,
        shimStringToSign(ctx.method, ctx.originalUrl, ctx.state.rawBody ?? Buffer.alloc(0), timestamp, nonce, userId),
      );
      if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature.toLowerCase(), 'hex'))) {
        throw refuse('slbp_invalid_signature', 'The request signature is invalid.');
      }
      if (Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_SKEW_SEC) {
        throw refuse('slbp_stale_request', `The request timestamp is more than ${MAX_SKEW_SEC} s away from the server clock.`);
      }
      if (!(await nonces.claim('shim', nonce)))
        throw refuse('slbp_replayed_request', 'This request has already been received (nonce reused).');
      // The socket peer is the WordPress host; the allowlists are about the end client, whose
      // address the shim reports. A signed request is judged by its user, never by WordPress's address.
      const clientIp = ctx.get('X-SLBP-Client-IP');
      const origin = ctx.state.origin;
      ctx.state.origin = {
        ip: clientIp && isClientAddress(clientIp) ? clientIp : origin.ip,
        healthCheckAddress: false,
        monitoringAddress: false,
        metricsToken: origin.metricsToken,
        healthToken: origin.healthToken,
      };
      const id = Number(userId);
      if (id === 0) return { kind: 'system', via: 'shim' };
      const user = await users.get(id);
      if (!user) throw refuse('slbp_unknown_user', 'The signed user does not exist.');
      return { kind: 'user', via: 'shim', userId: id, roles: user.roles, capabilities: user.capabilities };
    },
  };
}
