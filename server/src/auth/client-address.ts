// Owns what a rate limit counts as "one client address": an IPv4 address as it is, an IPv6
// address by its /64 network. One IPv6 host usually holds a whole /64 and can rotate through it
// at no cost, so counting single IPv6 addresses would give an attacker endless fresh ones.
// IPv4-mapped IPv6 (::ffff:192.0.2.1, what a dual-stack listener reports) counts as the IPv4.
import { isIPv4, isIPv6 } from 'node:net';

export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case, without leading zeros. */
function ipv6Groups(ip: string): string[] {
  const address = ip.split('%')[0]!; // drop a zone id (fe80::1%eth0)
  const [head, tail] = address.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':') : []);
  const toGroups = (parts: string[]) =>
    parts.flatMap((part) => {
      if (!part.includes('.')) return [part];
      const [a, b, c, d] = part.split('.').map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]; // embedded IPv4 tail
    });
  const first = toGroups(parse(head));
  const last = tail === undefined ? [] : toGroups(parse(tail));
  const zeros = Array(Math.max(0, 8 - first.length - last.length)).fill('0');
  return [...first, ...zeros, ...last].map((group) => Number.parseInt(group, 16).toString(16));
}
