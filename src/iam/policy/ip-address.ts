/**
 * IPv4 and IPv6 addresses and CIDR blocks for IpAddress / NotIpAddress. IAM accepts a bare address
 * in a policy as a /32 (IPv4) or /128 (IPv6) block.
 */
export interface IpValue {
  v6: boolean;
  value: bigint;
}

export interface CidrBlock {
  v6: boolean;
  /** The network bits, shifted right by the host bits. */
  network: bigint;
  hostBits: bigint;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  let text = s;
  // An embedded IPv4 address (::ffff:10.0.0.1) is the last 32 bits: rewrite it as two hex words.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = halves.length === 2 ? [...head, ...Array<string>(missing).fill('0'), ...rest] : head;
  let v = 0n;
  for (const w of words) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
    v = (v << 16n) | BigInt(parseInt(w, 16));
  }
  return v;
}

export function parseIp(s: string): IpValue | undefined {
  if (s.includes(':')) {
    const value = parseV6(s);
    return value === undefined ? undefined : { v6: true, value };
  }
  const value = parseV4(s);
  return value === undefined ? undefined : { v6: false, value };
}

export function parseCidr(s: string): CidrBlock | undefined {
  const slash = s.indexOf('/');
  const ip = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!ip) return undefined;
  const width = ip.v6 ? 128 : 32;
  let bits = width;
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b) || Number(b) > width) return undefined;
    bits = Number(b);
  }
  const hostBits = BigInt(width - bits);
  return { v6: ip.v6, network: ip.value >> hostBits, hostBits };
}

export function cidrContains(block: CidrBlock, ip: IpValue): boolean {
  return block.v6 === ip.v6 && ip.value >> block.hostBits === block.network;
}
