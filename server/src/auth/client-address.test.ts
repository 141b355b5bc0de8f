import { describe, expect, it } from 'vitest';
import { clientAddressKey } from './client-address.ts';

describe('clientAddressKey', () => {
  it('keeps an IPv4 address whole, also when a dual-stack listener maps it into IPv6', () => {
    expect(clientAddressKey('192.0.2.17')).toBe('192.0.2.17');
    expect(clientAddressKey('::ffff:192.0.2.17')).toBe('192.0.2.17');
    expect(clientAddressKey('127.0.0.5')).not.toBe(clientAddressKey('127.0.0.6'));
  });

  it('counts an IPv6 address by its /64, however it is written', () => {
    const key = clientAddressKey('2001:db8:1:2::1');
    expect(key).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0DB8:0001:0002:ffff:ffff:ffff:fffe')).toBe(key);
    expect(clientAddressKey('2001:db8:1:2:0:0:0:9%eth0')).toBe(key);
    expect(clientAddressKey('2001:db8:1:3::1')).not.toBe(key);
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('fe80::1')).toBe('fe80:0:0:0::/64');
  });
});
