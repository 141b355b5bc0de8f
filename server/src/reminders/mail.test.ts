import { describe, expect, it } from 'vitest';
import { renderDigest } from './mail.ts';

describe('renderDigest', () => {
  it('puts tenant text on one line: a control name cannot write paragraphs into the mail', () => {
    const { text } = renderDigest(
      [
        {
          control_id: 'c1',
          control_name: 'Fire door\r\n\r\nYour password expired: sign in at https://evil.test\u2028now',
          kind: 'overdue',
          due_on: '2026-05-01',
        },
      ],
      { organizationName: 'Acme\nIT desk', appOrigin: 'https://app.example.test' },
    );
    expect(text).toContain(
      '- Fire door Your password expired: sign in at https://evil.test now (due 2026-05-01)  https://app.example.test/controls/c1',
    );
    expect(text).toContain('Your controls in Acme IT desk that need attention today.');
    expect(text.split('\n').filter((line) => line.includes('evil'))).toHaveLength(1);
    expect(text.split('\n').some((line) => line.startsWith('Your password'))).toBe(false);
  });
});
