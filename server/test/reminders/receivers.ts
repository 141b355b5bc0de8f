// Real receivers in the test process: an SMTP server (npm smtp-server) that keeps every message
// it accepts, and an HTTP server that keeps every webhook request and answers with the status
// the test queues (200 when the queue is empty).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { App } from '../../src/app.ts';

export type ReceivedMail = { from: string; to: string[]; raw: string };

export type Delay = { ms: number };

export async function startSmtpReceiver(): Promise<{
  url: string;
  mails: ReceivedMail[];
  /** How long the server takes to accept a message (a slow relay). */
  delay: Delay;
  close: () => Promise<void>;
}> {
  const mails: ReceivedMail[] = [];
  const delay: Delay = { ms: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          // Quoted-printable soft line breaks joined back, so a test can search the text.
          raw: Buffer.concat(chunks)
            .toString('utf8')
            .replace(/=\r?\n/g, ''),
        });
        setTimeout(callback, delay.ms);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    delay,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type ReceivedRequest = { path: string; headers: http.IncomingHttpHeaders; body: string };

export async function startHttpReceiver(): Promise<{
  url: string;
  requests: ReceivedRequest[];
  /** Statuses to answer with, in order; 200 once the queue is empty. */
  answers: number[];
  /** How long the receiver takes to answer. */
  delay: Delay;
  close: () => Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  const answers: number[] = [];
  const delay: Delay = { ms: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.statusCode = answers.shift() ?? 200;
      setTimeout(() => res.end('ok'), delay.ms);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answers,
    delay,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * One sweep round that really ran: the sweep's advisory lock is shared by every test process on
 * the database, so a round can be skipped because another test file is sweeping; try again.
 */
export async function sweepNow(app: { runSweep: App['runSweep'] }, orgId: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if ((await app.runSweep({ only: [orgId] })).skipped === false) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the sweep stayed locked by another process for 5 s');
}
