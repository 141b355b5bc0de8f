import { describe, expect, it } from 'vitest';
import { opensDashboard } from './matrix-rows';

describe('opensDashboard', () => {
  it('is the dashboard itself, or the sign-in/up page that goes there once signed in', () => {
    expect(opensDashboard(new URL('http://app.test/'))).toBe(true);
    expect(opensDashboard(new URL('http://app.test/sign-in'))).toBe(true);
    expect(opensDashboard(new URL('http://app.test/sign-up'))).toBe(true);
    expect(opensDashboard(new URL('http://app.test/sign-in?next=/'))).toBe(true);
    expect(opensDashboard(new URL('http://app.test/sign-in?next=//evil.test'))).toBe(true);
  });

  it('is not another screen, nor a sign-in that goes to one', () => {
    expect(opensDashboard(new URL('http://app.test/controls'))).toBe(false);
    expect(opensDashboard(new URL('http://app.test/sign-in?next=/controls'))).toBe(false);
    expect(opensDashboard(new URL('http://app.test/invitation'))).toBe(false);
  });
});
