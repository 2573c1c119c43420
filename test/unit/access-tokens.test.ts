import { expect } from 'chai';
import { AccessTokens, deriveTokenKey } from '../../src/domain/auth/access-tokens.ts';

describe('access tokens', () => {
  const { key, shared } = deriveTokenKey('shared-secret', {});
  const tokens = new AccessTokens(key, 900);

  it('every node derives the same key from the shared secret (or the wp-config salts)', () => {
    expect(shared).to.equal(true);
    expect(deriveTokenKey('shared-secret', {}).key.equals(key)).to.equal(true);
    expect(deriveTokenKey('', { AUTH_KEY: 'k', AUTH_SALT: 's' }).key.equals(deriveTokenKey('', { AUTH_KEY: 'k', AUTH_SALT: 's' }).key)).to.equal(true);
    expect(deriveTokenKey('', {}).shared).to.equal(false);
  });

  it('verifies its own tokens until they expire, and nothing signed with another key', () => {
    const now = 1_800_000_000;
    const t = tokens.issue(42, 'sid1', now);
    expect(tokens.verify(t, now + 10)).to.include({ sub: 42, sid: 'sid1', exp: now + 900 });
    expect(tokens.verify(t, now + 900)).to.equal(null);
    const other = new AccessTokens(deriveTokenKey('other', {}).key, 900);
    expect(tokens.verify(other.issue(42, 'sid1', now), now)).to.equal(null);
    expect(tokens.verify(`${t}x`, now)).to.equal(null);
    expect(tokens.verify('a.b.c', now)).to.equal(null);
  });
});
