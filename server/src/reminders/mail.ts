// Owns e-mail: one nodemailer SMTP transport from SMTP_URL (smtp://host:port for a local relay
// or tests; smtps://user:pass@host:port for TLS with a login) and the digest's words. Plain text
// only: control names are tenant input, and text needs no escaping to be safe — but a name may
// hold line breaks, so each is put on one line: otherwise a member could write whole paragraphs
// of their own ("Your password expired: …") into a mail the product sends to the admins.
import nodemailer from 'nodemailer';
import type { ReminderKind } from './due.ts';

export type Mailer = {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
  close(): void;
};

export function createMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(
    { url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 },
    { from },
  );
  return {
    async send(message) {
      await transport.sendMail(message);
    },
    close: () => transport.close(),
  };
}

export type DigestItem = { control_id: string; control_name: string; kind: ReminderKind; due_on: string };

/** Tenant text on one line: control characters and line or paragraph separators become spaces. */
const oneLine = (value: string) => value.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ');

/** The digest's subject and text for one person: overdue controls first, then those coming due. */
export function renderDigest(
  items: readonly DigestItem[],
  context: { organizationName: string; appOrigin: string | undefined },
): { subject: string; text: string } {
  const overdue = items.filter((item) => item.kind === 'overdue');
  const dueSoon = items.filter((item) => item.kind === 'due_soon');
  const line = (item: DigestItem) => {
    const link = context.appOrigin ? `  ${context.appOrigin}/controls/${item.control_id}` : '';
    return `- ${oneLine(item.control_name)} (due ${item.due_on})${link}`;
  };
  const sections: string[] = [];
  if (overdue.length > 0) sections.push(`Overdue:\n${overdue.map(line).join('\n')}`);
  if (dueSoon.length > 0) sections.push(`Coming due:\n${dueSoon.map(line).join('\n')}`);
  const count = items.length;
  return {
    subject: `Sertantai: ${count} control${count === 1 ? '' : 's'} need${count === 1 ? 's' : ''} attention`,
    text:
      `Your controls in ${oneLine(context.organizationName)} that need attention today.\n\n` +
      `${sections.join('\n\n')}\n\n` +
      'Each is also in your inbox in the app. You get at most one of these e-mails a day.\n',
  };
}
