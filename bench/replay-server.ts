// The replay side of bench/sync.ts's physical-limit baseline, in its own process like the
// engine: loads the recorded answers (bench/lib/replay.ts) into memory and serves each request
// with its recorded status, headers and body bytes; a request never recorded (the client's
// first live request) is held open until the client goes away. Talks to its parent over IPC.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Recorded } from './lib/replay.ts';

const dir = process.env.BENCH_REPLAY_DIR ?? '';
const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as Record<string, Recorded>;
const answers = new Map(
  Object.entries(index).map(([url, r]) => [url, { ...r, body: readFileSync(path.join(dir, r.file)) }]),
);
const server = http.createServer((req, res) => {
  const answer = answers.get(req.url ?? '');
  if (!answer) return; // held until the client closes it
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of answer.headers) {
    const previous = headers[name];
    headers[name] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  res.writeHead(answer.status, { ...headers, 'content-length': answer.body.length });
  res.end(answer.body);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.send?.({ cmd: 'ready', origin: `http://127.0.0.1:${port}` });
});
process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
