import { expect } from 'chai';
import { AddressList, resolveClientIp } from '../../src/http/client-ip.ts';

describe('client address', () => {
  const trusted = new AddressList(['127.0.0.1', '10.0.0.0/8']);

  it('uses the socket peer when the peer is not a trusted proxy', () => {
    expect(resolveClientIp('203.0.113.9', '1.2.3.4', trusted)).to.equal('203.0.113.9');
  });

  it('takes the right-most untrusted X-Forwarded-For hop behind trusted proxies', () => {
    expect(resolveClientIp('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', trusted)).to.equal('198.51.100.7');
  });

  it('never believes a forged left-most entry', () => {
    expect(resolveClientIp('::ffff:127.0.0.1', '1.1.1.1, 198.51.100.7', trusted)).to.equal('198.51.100.7');
  });

  it('matches exact addresses, CIDR ranges and v4-mapped IPv6', () => {
    const list = new AddressList(['192.168.1.10', '172.16.0.0/12', '::1', 'not-an-ip']);
    expect(list.size).to.equal(3);
    expect(list.has('192.168.1.10')).to.equal(true);
    expect(list.has('::ffff:192.168.1.10')).to.equal(true);
    expect(list.has('172.20.1.1')).to.equal(true);
    expect(list.has('172.32.0.1')).to.equal(false);
    expect(list.has('::1')).to.equal(true);
  });

  it('takes no forwarded hop with an IPv6 zone id or past the longest address (Node accepts zone ids of any length)', () => {
    const zoned = `fe80::1%${'a'.repeat(5000)}`;
    expect(resolveClientIp('127.0.0.1', zoned, trusted)).to.equal('127.0.0.1');
    expect(resolveClientIp('127.0.0.1', `${zoned}, 10.1.2.3`, trusted)).to.equal('10.1.2.3');
    expect(resolveClientIp('127.0.0.1', 'fe80::1%eth0', trusted)).to.equal('127.0.0.1');
  });
});
