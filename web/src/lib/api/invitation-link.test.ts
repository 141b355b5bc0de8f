import { describe, expect, it } from 'vitest';
import { invitationLink, invitationTokenOf } from './invitation-link';

describe('invitation links', () => {
  it('carry the token in the fragment, which browsers never send to a server', () => {
    const link = new URL(invitationLink('https://controls.example.com', 'abc_DEF-123'));
    expect(link.pathname).toBe('/invitation');
    expect(link.search).toBe('');
    expect(link.hash).toBe('#token=abc_DEF-123');
    expect(invitationTokenOf(link)).toBe('abc_DEF-123');
  });

  it('still read old links with ?token=', () => {
    expect(invitationTokenOf(new URL('https://x.example/invitation?token=old-token'))).toBe('old-token');
  });

  it('give an empty token for a link without one', () => {
    expect(invitationTokenOf(new URL('https://x.example/invitation'))).toBe('');
    expect(invitationTokenOf(new URL('https://x.example/invitation#other=1'))).toBe('');
  });

  it('survive characters that need encoding', () => {
    expect(invitationTokenOf(new URL(invitationLink('https://x.example', 'a+b/c=d&e')))).toBe('a+b/c=d&e');
  });
});
