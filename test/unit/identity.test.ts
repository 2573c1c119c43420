import { expect } from 'chai';
import { AccessTokens, deriveTokenKey } from '../../src/domain/auth/access-tokens.ts';
import { access, type AccessRule } from '../../src/domain/access.ts';
import type { Caller } from '../../src/domain/caller.ts';
import type { UserDirectory, UserIdentity } from '../../src/domain/user-directory.ts';
import { accessTokenIdentity } from '../../src/http/identity/access-token.ts';
import { bearerToken, identity, type IdentityResolver } from '../../src/http/middleware/identity.ts';
import { SidecarError } from '../../src/errors.ts';
import type { AppContext } from '../../src/http/route.ts';

const ctxWith = (headers: Record<string, string>) => ({ req: { headers }, state: {} }) as unknown as AppContext;
const user: UserIdentity = {
  userId: 7,
  login: 'ann',
  email: 'ann@example.test',
  displayName: 'Ann',
  roles: ['subscriber'],
  capabilities: { read: true },
  passwordStamp: 'stamp-1',
};
/** No family revoked, answered at once. */
const none = { isRevoked: () => false };

/** A user directory over a map: `cached` answers what the map holds, `get` counts its loads. */
function directory(cached: Map<number, UserIdentity | null>, stored: Map<number, UserIdentity | null>) {
  const d = {
    loads: 0,
    cached: (id: number) => cached.get(id),
    get: async (id: number) => {
      d.loads++;
      return stored.get(id) ?? null;
    },
  };
  return d;
}

function recording(name: string, headers: string[], answer: () => Caller | null | Promise<Caller | null>) {
  const asked: string[] = [];
  const r: IdentityResolver & { asked: string[] } = { name, headers, asked, resolve: () => (asked.push(name), answer()) };
  return r;
}

describe('identity resolution', () => {
  const who: Caller = { kind: 'user', via: 'token', userId: 7, roles: [], capabilities: {} };

  it('asks only the resolvers whose credential headers the request carries, in order', async () => {
    const shim = recording('shim', ['x-slbp-signature'], () => null);
    const apiKey = recording('api_key', ['x-api-key', 'authorization'], () => null);
    const token = recording('token', ['authorization'], () => who);
    const run = identity([shim, token, apiKey]);
    const ctx = ctxWith({ authorization: 'Bearer a.b.c' });
    expect(run(ctx)).to.equal(undefined);
    expect(ctx.state.caller).to.equal(who);
    expect(shim.asked).to.deep.equal([]);
    expect(apiKey.asked).to.deep.equal([]);
    const anonymous = ctxWith({});
    expect(run(anonymous)).to.equal(undefined);
    expect(anonymous.state.caller).to.equal(undefined);
    expect(token.asked).to.deep.equal(['token']);
  });

  it('waits for a resolver that answers with a promise, then goes on to the next when it recognised nothing', async () => {
    const first = recording('first', ['authorization'], async () => null);
    const second = recording('second', ['authorization'], () => who);
    const ctx = ctxWith({ authorization: 'Bearer k' });
    const pending = identity([first, second])(ctx);
    expect(pending).to.be.instanceOf(Promise);
    await pending;
    expect(ctx.state.caller).to.equal(who);
    expect(second.asked).to.deep.equal(['second']);
  });

  it('with a guard: admits only requests that carry a credential, and reports refused credentials (401), not other errors', async () => {
    const events: string[] = [];
    const guard = {
      admit: () => {
        events.push('admit');
      },
      failed: async () => {
        events.push('failed');
      },
    };
    const refuse = () => {
      throw new SidecarError('slbp_invalid_token', 'no', 401);
    };
    expect(identity([recording('t', ['authorization'], refuse)], guard)(ctxWith({}))).to.equal(undefined);
    expect(events).to.deep.equal([]);
    let err = await Promise.resolve(
      identity([recording('t', ['authorization'], refuse)], guard)(ctxWith({ authorization: 'Bearer x' })),
    ).catch((e) => e);
    expect(err).to.be.instanceOf(SidecarError);
    expect(events).to.deep.equal(['admit', 'failed']);
    events.length = 0;
    err = await identity(
      [recording('t', ['authorization'], async () => refuse())],
      guard,
    )(ctxWith({ authorization: 'Bearer x' }))!.catch((e) => e);
    expect(err.status).to.equal(401);
    expect(events).to.deep.equal(['admit', 'failed']);
    events.length = 0;
    err = await identity(
      [
        recording('t', ['authorization'], async () => {
          throw new Error('database down');
        }),
      ],
      guard,
    )(ctxWith({ authorization: 'Bearer x' }))!.catch((e) => e);
    expect(err.message).to.equal('database down');
    expect(events).to.deep.equal(['admit']);
    const blocked = {
      admit: () => {
        throw new SidecarError('slbp_rate_limited', 'wait', 429);
      },
      failed: async () => undefined,
    };
    const never = recording('t', ['authorization'], () => who);
    expect(() => identity([never], blocked)(ctxWith({ authorization: 'Bearer x' }))).to.throw(SidecarError);
    expect(never.asked, 'a refused address costs no lookup').to.deep.equal([]);
  });

  it('reads a bearer value as WordPress clients send it, and nothing from other schemes', () => {
    expect(bearerToken('Bearer abc.def ')).to.equal('abc.def');
    expect(bearerToken('bearer   x')).to.equal('x');
    expect(bearerToken('Basic dXNlcjpwYXNz')).to.equal('');
    expect(bearerToken(undefined)).to.equal('');
  });

  describe('access tokens', () => {
    const tokens = new AccessTokens(deriveTokenKey('identity-test-secret', {}).key, 900);
    const token = tokens.issue(7, 'sid-1', 'stamp-1');
    const bearer = { authorization: `Bearer ${token}` };

    it('answers without a promise (and without loading the user) when the user is cached in this process', () => {
      const users = directory(new Map([[7, user]]), new Map());
      const ctx = ctxWith(bearer);
      const caller = accessTokenIdentity(tokens, users as unknown as UserDirectory, none).resolve(ctx);
      expect(caller).to.not.be.instanceOf(Promise);
      expect(caller).to.deep.equal({ kind: 'user', via: 'token', userId: 7, roles: ['subscriber'], capabilities: { read: true } });
      expect(ctx.state.tokenExpiresAt).to.equal(tokens.verify(token)!.exp);
      expect(users.loads).to.equal(0);
    });

    it('loads the user when the cache does not hold it, and refuses a token whose user is gone', async () => {
      const users = directory(new Map(), new Map([[7, user]]));
      const caller = await accessTokenIdentity(tokens, users as unknown as UserDirectory, none).resolve(ctxWith(bearer));
      expect(caller).to.include({ kind: 'user', userId: 7 });
      expect(users.loads).to.equal(1);
      const gone = directory(new Map([[7, null]]), new Map());
      expect(() => accessTokenIdentity(tokens, gone as unknown as UserDirectory, none).resolve(ctxWith(bearer))).to.throw(
        SidecarError,
        /invalid or expired/,
      );
      let refused: unknown;
      await Promise.resolve(
        accessTokenIdentity(tokens, directory(new Map(), new Map()) as unknown as UserDirectory, none).resolve(ctxWith(bearer)),
      ).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(SidecarError);
    });

    it('refuses a token issued before the password changed, and one whose session family was revoked (after one lookup)', async () => {
      const changed = directory(new Map([[7, { ...user, passwordStamp: 'stamp-2' }]]), new Map());
      expect(() => accessTokenIdentity(tokens, changed as unknown as UserDirectory, none).resolve(ctxWith(bearer))).to.throw(
        SidecarError,
        /invalid or expired/,
      );
      const users = directory(new Map([[7, user]]), new Map());
      const asked: string[] = [];
      const revoked = { isRevoked: (sid: string) => (asked.push(sid), Promise.resolve(true)) };
      let refused: unknown;
      await Promise.resolve(accessTokenIdentity(tokens, users as unknown as UserDirectory, revoked).resolve(ctxWith(bearer))).catch(
        (e) => (refused = e),
      );
      expect(refused).to.be.instanceOf(SidecarError);
      expect(asked).to.deep.equal(['sid-1']);
    });

    it('refuses a forged token on a protected route, ignores it on a public one, and leaves other bearer values to the API-key resolver', () => {
      const users = directory(new Map([[7, user]]), new Map());
      const resolver = accessTokenIdentity(tokens, users as unknown as UserDirectory, none);
      const forged = { authorization: `Bearer ${token.slice(0, -2)}xx` };
      const on = (access: AccessRule) => ({ ...ctxWith(forged), state: { route: { access } } }) as unknown as AppContext;
      expect(() => resolver.resolve(on(access.signedIn))).to.throw(SidecarError);
      expect(resolver.resolve(on(access.public))).to.equal(null);
      expect(resolver.resolve(ctxWith({ authorization: 'Bearer sk_live_plainapikey' }))).to.equal(null);
    });
  });
});
