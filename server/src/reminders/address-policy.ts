// Owns the webhook SSRF guard: a tenant chooses a webhook's URL, so without a guard a hostile
// admin could make the server call its own internal addresses (metadata services, the database,
// the internal sync route). Only http and https, no credentials in the URL, and every address
// the host name resolves to must be public: loopback, private, link-local, CGNAT, multicast,
// documentation and the IPv6 equivalents (and IPv4 hidden in IPv6: mapped, translated, NAT64,
// 6to4) are refused unless the operator sets WEBHOOK_ALLOW_PRIVATE_ADDRESSES. The check runs when a
// webhook is saved and again at every connection (guardedLookup), so a name that later
// resolves somewhere else (DNS rebinding) is still refused at delivery.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// Two lists: a BlockList holding IPv6 rules over ::/96 or ::ffff:0:0/96 would match every IPv4 address.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blockedV4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped: a webhook names the IPv4 address itself
  ['::ffff:0:0:0', 96], // IPv4-translated (SIIT): an IPv4 address inside
  ['64:ff9b::', 96], // NAT64: an IPv4 address inside
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32], // Teredo
  ['2001:db8::', 32],
  ['2002::', 16], // 6to4: an IPv4 address inside
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  blockedV6.addSubnet(network, prefix, 'ipv6');
}

export class AddressRefused extends Error {
  override name = 'AddressRefused';
}

/** True when `address` (an IP literal) may be called by a webhook. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return family === 4 ? !blockedV4.check(address, 'ipv4') : !blockedV6.check(address, 'ipv6');
}

/** The URL a tenant asked for, parsed and checked in shape only (no DNS). Throws AddressRefused. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AddressRefused('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AddressRefused('must be http or https');
  if (url.username !== '' || url.password !== '')
    throw new AddressRefused('must not carry a user name or password');
  if (url.hostname === '') throw new AddressRefused('needs a host');
  return url;
}

function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** Resolves the URL's host and refuses it unless every address is public (or private ones are allowed). */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(raw);
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
    } catch {
      throw new AddressRefused(`host ${host} does not resolve`);
    }
  }
  if (!allowPrivate) {
    const refused = addresses.find((address) => !isPublicAddress(address));
    if (refused !== undefined) {
      throw new AddressRefused(`resolves to ${refused}, a loopback, private or reserved address`);
    }
  }
  return url;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that refuses non-public addresses at connection time, so the
 * address checked is the address connected to. IP literals never reach a lookup: callers check
 * them with isPublicAddress first (deliver.ts does).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true, verbatim: true })
      .then((entries) => {
        const usable = allowPrivate ? entries : entries.filter((entry) => isPublicAddress(entry.address));
        if (usable.length === 0) {
          const error: NodeJS.ErrnoException = new AddressRefused(
            `${hostname} resolves only to loopback, private or reserved addresses`,
          );
          error.code = 'EADDRREFUSED';
          callback(error, '');
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      })
      .catch((error: NodeJS.ErrnoException) => callback(error, ''));
  };
}
