import { BlockList, isIP } from 'node:net';

/** An address matcher for exact addresses and CIDR ranges (IPv4 and IPv6, v4-mapped folded). */
export class AddressList {
  private readonly list = new BlockList();
  /** Answers per address: BlockList.check allocates on every call, and the same peers repeat. */
  private readonly seen = new Map<string, boolean>();
  readonly size: number;

  constructor(entries: string[]) {
    let n = 0;
    for (const raw of entries) {
      const entry = raw.trim();
      const [addr, bits] = entry.split('/');
      const type = isIP(addr ?? '');
      if (!type) continue;
      const family = type === 6 ? 'ipv6' : 'ipv4';
      if (bits !== undefined) {
        const prefix = Number(bits);
        if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === 6 ? 128 : 32)) continue;
        this.list.addSubnet(addr!, prefix, family);
      } else this.list.addAddress(addr!, family);
      n++;
    }
    this.size = n;
  }

  has(address: string | undefined): boolean {
    if (!address || !this.size) return false;
    const known = this.seen.get(address);
    if (known !== undefined) return known;
    const addr = normalizeIp(address);
    const type = isIP(addr);
    const answer = type ? this.list.check(addr, type === 6 ? 'ipv6' : 'ipv4') : false;
    if (address.length > MAX_ADDRESS_LENGTH) return answer;
    if (this.seen.size >= 4096) this.seen.clear();
    this.seen.set(address, answer);
    return answer;
  }
}

/** The longest textual IPv6 address (`ffff:…:255.255.255.255`); longer strings are never remembered. */
const MAX_ADDRESS_LENGTH = 45;

/**
 * Whether a forwarded hop is a client address: an IP literal without an IPv6 zone id (`fe80::1%eth0`
 * names a local interface, never a remote client, and Node accepts zone ids of any length).
 */
export const isClientAddress = (hop: string) => hop.length <= MAX_ADDRESS_LENGTH && !hop.includes('%') && isIP(hop) !== 0;

/** Folds `::ffff:1.2.3.4` to `1.2.3.4` so one list entry matches both socket forms. */
export function normalizeIp(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * The client address: the socket peer, unless the peer is a trusted proxy; then the right-most
 * X-Forwarded-For hop that is not itself a trusted proxy. The left-most entry is whatever the
 * client wrote, so it is never believed on its own.
 */
export function resolveClientIp(peer: string, forwardedFor: string | undefined, trusted: AddressList): string {
  let current = normalizeIp(peer);
  if (!forwardedFor || !trusted.has(current)) return current;
  const hops = forwardedFor
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]!);
    if (!isClientAddress(hop)) return current;
    current = hop;
    if (!trusted.has(hop)) return hop;
  }
  return current;
}
