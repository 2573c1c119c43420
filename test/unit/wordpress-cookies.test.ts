import { expect } from 'chai';
import {
  authCookieValid,
  cookieValue,
  loggedInCookieName,
  nonceFor,
  nonceTick,
  parseAuthCookie,
  sessionTokenValid,
  verifyNonce,
  wpSalt,
} from '../../src/domain/auth/wordpress-cookies.ts';
import { basicCredentials } from '../../src/http/identity/application-password.ts';

/**
 * WordPress's cookie and nonce arithmetic (pluggable.php). The expected values were computed by
 * PHP itself (`php -r` with hash_hmac/substr/ceil as wp_validate_auth_cookie and wp_verify_nonce
 * write them); the end-to-end test checks the same code against a real WordPress.
 */
describe('WordPress logged-in cookies and REST nonces', () => {
  it('wp_salt: the constants, unless they are the sample phrase or duplicated; else the options', () => {
    const options = new Map([
      ['logged_in_key', 'OPTK'],
      ['logged_in_salt', 'OPTS'],
    ]);
    expect(wpSalt('logged_in', { LOGGED_IN_KEY: 'LK', LOGGED_IN_SALT: 'LS' }, options)).to.equal('LKLS');
    expect(wpSalt('logged_in', { LOGGED_IN_KEY: 'put your unique phrase here', LOGGED_IN_SALT: 'LS' }, options)).to.equal('OPTKLS');
    // The same value in two constants: WordPress uses neither.
    expect(wpSalt('logged_in', { LOGGED_IN_KEY: 'same', NONCE_KEY: 'same', LOGGED_IN_SALT: 'LS' }, options)).to.equal('OPTKLS');
    expect(wpSalt('logged_in', {}, options)).to.equal('OPTKOPTS');
    expect(wpSalt('logged_in', {}, new Map())).to.equal(null);
    expect(wpSalt('nonce', { SECRET_KEY: 'SK', NONCE_SALT: 'NS' }, new Map())).to.equal('SKNS');
  });

  it('the cookie name is wordpress_logged_in_ + md5(siteurl); its value is read as PHP decodes $_COOKIE', () => {
    // php -r 'echo md5("http://example.test");'
    expect(loggedInCookieName('http://example.test')).to.equal('wordpress_logged_in_ea5889fdb264b2a3524c2b184cf4e8ad');
    const name = loggedInCookieName('http://example.test');
    expect(name).to.match(/^wordpress_logged_in_[a-f0-9]{32}$/);
    expect(cookieValue(`a=1; ${name}=ann%7C1900000000%7Ctok%7Cff; b=2`, name)).to.equal('ann|1900000000|tok|ff');
    expect(cookieValue(`${name}=ann+lee%7C1`, name)).to.equal('ann lee|1');
    expect(cookieValue('other=1', name)).to.equal(null);
    expect(parseAuthCookie('a|b|c')).to.equal(null);
    expect(parseAuthCookie('ann|1900000000|tok|ff')).to.deep.equal({ username: 'ann', expiration: '1900000000', token: 'tok', hmac: 'ff' });
  });

  it("wp_validate_auth_cookie: PHP's HMAC of user|expiration|token keyed with the password fragment; expired is refused (POST has an hour's grace)", () => {
    const pass = '$P$BabcdefghXYZWrest';
    const hmac = 'ae22abe4d0d97998d5baedadb1787c2cea10f4aee3c2892a82acedb4dd94fd52';
    const cookie = { username: 'ann', expiration: '1900000000', token: 'tok123', hmac };
    expect(authCookieValid(cookie, pass, 'LKLS', 'GET', 1_800_000_000)).to.equal(true);
    // Another password (fragment), another salt, another user: refused.
    expect(authCookieValid(cookie, '$P$BabcdefgQXYZWrest', 'LKLS', 'GET', 1_800_000_000)).to.equal(false);
    expect(authCookieValid(cookie, pass, 'other', 'GET', 1_800_000_000)).to.equal(false);
    expect(authCookieValid({ ...cookie, username: 'bob' }, pass, 'LKLS', 'GET', 1_800_000_000)).to.equal(false);
    expect(authCookieValid(cookie, pass, 'LKLS', 'GET', 1_900_000_001)).to.equal(false);
    expect(authCookieValid(cookie, pass, 'LKLS', 'POST', 1_900_000_001)).to.equal(true);
    expect(authCookieValid(cookie, pass, 'LKLS', 'POST', 1_900_003_601)).to.equal(false);
  });

  it('WP_Session_Tokens::verify: the entry under sha256(token), not expired', () => {
    const verifier = '4f6e1f65055263866dedb3c5fe22defb0cc045648cf0b87afac54cc6420e5647';
    expect(sessionTokenValid({ [verifier]: { expiration: 2000 } }, 'tok123', 1000)).to.equal(true);
    expect(sessionTokenValid({ [verifier]: 2000 }, 'tok123', 1000)).to.equal(true);
    expect(sessionTokenValid({ [verifier]: { expiration: 999 } }, 'tok123', 1000)).to.equal(false);
    expect(sessionTokenValid({ [verifier]: { expiration: 2000 } }, 'tok124', 1000)).to.equal(false);
    expect(sessionTokenValid(null, 'tok123', 1000)).to.equal(false);
  });

  it('wp_verify_nonce: the current tick (1) and the one before (2), nothing older', () => {
    expect(nonceTick(1_700_000_000)).to.equal(39_352);
    expect(nonceFor(40_000, 'wp_rest', 7, 'tok123', 'NKNS')).to.equal('5f6c7f20d4');
    const now = 40_000 * 43_200 - 10; // in tick 40000
    expect(verifyNonce('5f6c7f20d4', 'wp_rest', 7, 'tok123', 'NKNS', now)).to.equal(1);
    expect(verifyNonce('5f6c7f20d4', 'wp_rest', 7, 'tok123', 'NKNS', now + 43_200)).to.equal(2);
    expect(verifyNonce('5f6c7f20d4', 'wp_rest', 7, 'tok123', 'NKNS', now + 2 * 43_200)).to.equal(false);
    expect(verifyNonce('5f6c7f20d4', 'wp_rest', 8, 'tok123', 'NKNS', now)).to.equal(false);
    expect(verifyNonce('5f6c7f20d4', 'wp_rest', 7, 'other', 'NKNS', now)).to.equal(false);
    expect(verifyNonce('', 'wp_rest', 7, 'tok123', 'NKNS', now)).to.equal(false);
  });

  it('HTTP Basic credentials: user and password split at the first colon', () => {
    const b = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    expect(basicCredentials(b('ann:abcd efgh:ijkl'))).to.deep.equal({ username: 'ann', password: 'abcd efgh:ijkl' });
    expect(basicCredentials(b('no-colon'))).to.equal(null);
    expect(basicCredentials('Bearer x')).to.equal(null);
    expect(basicCredentials(undefined)).to.equal(null);
  });
});
