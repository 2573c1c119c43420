import { expect } from 'chai';
import { AccessTokens, deriveTokenKey } from '../../src/domain/auth/access-tokens.ts';

describe('access tokens', () => {
  const { key, shared } = deriveTokenKey('shared-secret', {});
  const tokens = new AccessTokens(key, 900);

  it('every node derives the same key from the shared secret (or the wp-config salts)', () => {
    expect(shared).to.equal(true);
    expect(deriveTokenKey('shared-secret', {}).key.equals(key)).to.equal(true);
    expect(
      deriveTokenKey('', { AUTH_KEY: 'k', AUTH_SALT: 's' }).key.equals(deriveTokenKey('', { AUTH_KEY: 'k', AUTH_SALT: 's' }).key),
    ).to.equal(true);
    expect(deriveTokenKey('', {}).shared).to.equal(false);
  });

  it('verifies its own tokens until they expire, and nothing signed with another key', () => {
    const now = 1_800_000_000;
    const t = tokens.issue(42, 'sid1', 'stamp', now);
    expect(tokens.verify(t, now + 10)).to.include({ sub: 42, sid: 'sid1', exp: now + 900 });
    expect(tokens.verify(t, now + 900)).to.equal(null);
    const other = new AccessTokens(deriveTokenKey('other', {}).key, 900);
    expect(tokens.verify(other.issue(42, 'sid1', 'stamp', now), now)).to.equal(null);
    expect(tokens.verify(`${t}x`, now)).to.equal(null);
    expect(tokens.verify('a.b.c', now)).to.equal(null);
  });

  it('stamps a password hash with its key: the stamp changes with the hash and cannot be made without the key', () => {
    expect(tokens.stamp('$P$Babc')).to.equal(tokens.stamp('$P$Babc'));
    expect(tokens.stamp('$P$Babc')).to.not.equal(tokens.stamp('$P$Babd'));
    expect(new AccessTokens(deriveTokenKey('other', {}).key, 900).stamp('$P$Babc')).to.not.equal(tokens.stamp('$P$Babc'));
    const now = 1_800_000_000;
    expect(tokens.verify(tokens.issue(1, 's', tokens.stamp('h'), now), now)).to.include({ pwd: tokens.stamp('h') });
  });
});
