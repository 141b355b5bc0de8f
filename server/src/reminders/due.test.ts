import { describe, expect, it } from 'vitest';
import { isPublicAddress } from './address-policy.ts';
import { dueReminder, isEscalated } from './due.ts';

const now = new Date('2026-04-10T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
const rule = { frequency_days: 30, notification_days_before: 7, escalation_enabled: true };
const created_at = new Date('2026-01-05T10:00:00Z');

describe('dueReminder', () => {
  it('is nothing while the due day is further than N days away', () => {
    expect(dueReminder({ last_touched_at: daysAgo(22), created_at }, rule, now)).toBeNull();
  });
  it('is due_soon within N days of the due moment, naming the due day', () => {
    expect(dueReminder({ last_touched_at: daysAgo(23), created_at }, rule, now)).toEqual({
      kind: 'due_soon',
      due_on: '2026-04-17',
    });
  });
  it('is overdue past F days, and never touched is overdue from the day it was created', () => {
    expect(dueReminder({ last_touched_at: daysAgo(31), created_at }, rule, now)).toEqual({
      kind: 'overdue',
      due_on: '2026-04-09',
    });
    expect(dueReminder({ last_touched_at: null, created_at }, rule, now)).toEqual({
      kind: 'overdue',
      due_on: '2026-01-05',
    });
  });
  it('gives no advance notice when N is 0', () => {
    expect(
      dueReminder(
        { last_touched_at: daysAgo(29), created_at },
        { ...rule, notification_days_before: 0 },
        now,
      ),
    ).toBeNull();
  });
  it('escalates overdue reminders only, and only when the strategy says so', () => {
    expect(isEscalated('overdue', rule)).toBe(true);
    expect(isEscalated('due_soon', rule)).toBe(false);
    expect(isEscalated('overdue', { ...rule, escalation_enabled: false })).toBe(false);
  });
});

describe('isPublicAddress', () => {
  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '93.184.216.34'])('allows %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.31.255.255',
    '192.168.0.10',
    '169.254.169.254',
    '100.64.1.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:8.8.8.8',
    '::ffff:0:7f00:1',
    '::ffff:0:a00:1',
    'fe80::1',
    'fd12:3456::1',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
    'ff02::1',
    'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });
});
