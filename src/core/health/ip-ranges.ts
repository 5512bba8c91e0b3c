// Which addresses a DNS answer for a public mirror can never honestly be: private, loopback,
// link-local, documentation and other reserved ranges (bogons), and Teredo (2001::/32), where the
// Great Firewall's forged IPv6 answers fall. Pure: addresses and CIDR ranges are strings.

export type AddressClass = { kind: 'public' } | { kind: 'bogon' | 'teredo'; range: string; label: string } | { kind: 'invalid' };

interface Range {
  cidr: string;
  label: string;
  kind: 'bogon' | 'teredo';
}

const V4_RANGES: readonly Range[] = [
  { cidr: '0.0.0.0/8', label: 'this network', kind: 'bogon' },
  { cidr: '10.0.0.0/8', label: 'private', kind: 'bogon' },
  { cidr: '100.64.0.0/10', label: 'carrier-grade NAT', kind: 'bogon' },
  { cidr: '127.0.0.0/8', label: 'loopback', kind: 'bogon' },
  { cidr: '169.254.0.0/16', label: 'link-local', kind: 'bogon' },
  { cidr: '172.16.0.0/12', label: 'private', kind: 'bogon' },
  { cidr: '192.0.0.0/24', label: 'IETF protocol assignments', kind: 'bogon' },
  { cidr: '192.0.2.0/24', label: 'documentation', kind: 'bogon' },
  { cidr: '192.168.0.0/16', label: 'private', kind: 'bogon' },
  { cidr: '198.18.0.0/15', label: 'benchmarking', kind: 'bogon' },
  { cidr: '198.51.100.0/24', label: 'documentation', kind: 'bogon' },
  { cidr: '203.0.113.0/24', label: 'documentation', kind: 'bogon' },
  { cidr: '224.0.0.0/4', label: 'multicast', kind: 'bogon' },
  { cidr: '240.0.0.0/4', label: 'reserved', kind: 'bogon' },
];

const V6_RANGES: readonly Range[] = [
  { cidr: '::/128', label: 'unspecified', kind: 'bogon' },
  { cidr: '::1/128', label: 'loopback', kind: 'bogon' },
  { cidr: '100::/64', label: 'discard', kind: 'bogon' },
  { cidr: '2001::/32', label: 'Teredo', kind: 'teredo' },
  { cidr: '2001:db8::/32', label: 'documentation', kind: 'bogon' },
  { cidr: 'fc00::/7', label: 'unique local', kind: 'bogon' },
  { cidr: 'fe80::/10', label: 'link-local', kind: 'bogon' },
  { cidr: 'ff00::/8', label: 'multicast', kind: 'bogon' },
];

/** An IPv4 address as a 32-bit number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/** An IPv6 address (with '::' and an optional dotted IPv4 tail) as a 128-bit bigint, or undefined. */
export function parseIpv6(text: string): bigint | undefined {
  let s = text.toLowerCase();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseIpv4(maybeV4);
    if (v4 === undefined) return undefined;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    s = `${s.slice(0, lastColon + 1)}${tail.length > 0 ? 'x' : ''}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (g === 'x') {
        out.push(...tail);
        continue;
      }
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = toGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

export function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== undefined || parseIpv6(host) !== undefined;
}

/** Whether ip lies in cidr ('10.0.0.0/8', '2001::/32'); false when the families differ. */
export function inRange(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const base = slash < 0 ? cidr : cidr.slice(0, slash);
  const v4 = parseIpv4(ip);
  const base4 = parseIpv4(base);
  if (v4 !== undefined && base4 !== undefined) {
    const bits = slash < 0 ? 32 : Number(cidr.slice(slash + 1));
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
    const size = 2 ** (32 - bits);
    return Math.floor(v4 / size) === Math.floor(base4 / size);
  }
  const v6 = parseIpv6(ip);
  const base6 = parseIpv6(base);
  if (v6 !== undefined && base6 !== undefined) {
    const bits = slash < 0 ? 128 : Number(cidr.slice(slash + 1));
    if (!Number.isInteger(bits) || bits < 0 || bits > 128) return false;
    const shift = BigInt(128 - bits);
    return v6 >> shift === base6 >> shift;
  }
  return false;
}

/** Whether a CIDR range (or a single address) is well formed. */
export function isCidr(cidr: string): boolean {
  const slash = cidr.indexOf('/');
  const base = slash < 0 ? cidr : cidr.slice(0, slash);
  const bits = slash < 0 ? undefined : Number(cidr.slice(slash + 1));
  if (parseIpv4(base) !== undefined) return bits === undefined || (Number.isInteger(bits) && bits >= 0 && bits <= 32);
  if (parseIpv6(base) !== undefined) return bits === undefined || (Number.isInteger(bits) && bits >= 0 && bits <= 128);
  return false;
}

/**
 * What kind of address a DNS answer is. IPv4-mapped IPv6 addresses are judged by their IPv4 part;
 * IPv6 outside 2000::/3 (global unicast) is a bogon. `trusted` ranges (a mirror on a LAN) are public.
 */
export function classifyAddress(ip: string, trusted: readonly string[] = []): AddressClass {
  const v4 = parseIpv4(ip);
  const v6 = v4 === undefined ? parseIpv6(ip) : undefined;
  if (v4 === undefined && v6 === undefined) return { kind: 'invalid' };
  if (trusted.some((c) => inRange(ip, c))) return { kind: 'public' };
  if (v6 !== undefined) {
    if (v6 >> 32n === 0xffffn) {
      const mapped = Number(v6 & 0xffffffffn);
      const dotted = [24, 16, 8, 0].map((s) => (mapped >>> s) & 255).join('.');
      return classifyAddress(dotted, trusted);
    }
    for (const r of V6_RANGES) if (inRange(ip, r.cidr)) return { kind: r.kind, range: r.cidr, label: r.label };
    if (v6 >> 125n !== 1n) return { kind: 'bogon', range: '(outside 2000::/3)', label: 'not global unicast' };
    return { kind: 'public' };
  }
  for (const r of V4_RANGES) if (inRange(ip, r.cidr)) return { kind: r.kind, range: r.cidr, label: r.label };
  return { kind: 'public' };
}
