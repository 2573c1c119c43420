import { expect } from 'chai';
import { foldLoginName, LoginLockout, loginSubject } from '../../src/domain/auth/login-lockout.ts';

describe('sign-in lockout (in-process counts)', () => {
  const never = async () => false;

  it('folds a name as the collation compares it; an account is its id whatever the name', () => {
    expect(foldLoginName('ＳTÜDENT0030 ')).to.equal('student0030');
    expect(foldLoginName('Straße')).to.equal('strasse');
    expect(loginSubject('STUDENT7', 9)).to.deep.equal(loginSubject('student7@example.test', 9));
    expect(loginSubject('ghöst', null)).to.deep.equal(loginSubject('GHOST', null));
    expect(loginSubject('ghost', null).key).to.not.equal(loginSubject('ghost', 9).key);
  });

  it('locks one address out of one account after 5 failures; other addresses and accounts go on', async () => {
    const l = new LoginLockout(null);
    const acct = loginSubject('admin', 1);
    for (let i = 0; i < 5; i++) await l.recordFailure(acct, '203.0.113.1');
    expect(await l.subjectWait(acct, '203.0.113.1', never)).to.be.within(899, 900);
    expect(await l.subjectWait(acct, '203.0.113.2', never)).to.equal(0);
    expect(await l.subjectWait(loginSubject('other', 2), '203.0.113.1', never)).to.equal(0);
    expect(await l.addressWait('203.0.113.1')).to.equal(0);
  });

  it('after 10 failures from anywhere, only addresses the account is known to use go on', async () => {
    const l = new LoginLockout(null);
    const acct = loginSubject('student', 5);
    await l.recordSuccess(acct, '198.51.100.7');
    for (let i = 0; i < 10; i++) await l.recordFailure(acct, `203.0.113.${i}`);
    expect(await l.subjectWait(acct, '203.0.113.99', never)).to.be.greaterThan(0);
    expect(await l.subjectWait(acct, '203.0.113.99', async () => true)).to.equal(0);
    expect(await l.knows(acct, '198.51.100.7')).to.equal(true);
    expect(await l.knows(acct, '203.0.113.99')).to.equal(false);
  });

  it('locks an address out of everything after 20 failures across names', async () => {
    const l = new LoginLockout(null);
    for (let i = 0; i < 20; i++) await l.recordFailure(loginSubject(`ghost${i}`, null), '192.0.2.9');
    expect(await l.addressWait('192.0.2.9')).to.be.greaterThan(0);
    expect(await l.addressWait('192.0.2.10')).to.equal(0);
  });
});
