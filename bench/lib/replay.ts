// The physical-limit baseline of bench/sync.ts's initial sync: a recording proxy in front of the
// engine keeps each response's exact bytes (status, headers, body as sent, compressed or not),
// and a plain HTTP server in its own process (`replay-server.ts`) answers the same requests with
// those bytes. The same official client against both: the ratio is the engine's share.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export type Recorded = { status: number; headers: Array<[string, string]>; file: string };

/** Headers that describe the connection, not the answer: the replay server sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

/**
 * Starts a proxy to `upstream` (an http://host:port origin) that records every answer it
 * relays into `dir` (one file per body, `index.json` on `save()`), keyed by the request's path
 * and query exactly as the client sent it.
 */
export async function startRecordingProxy(upstream: string, dir: string) {
  const target = new URL(upstream);
  const recorded: Record<string, Recorded> = {};
  let n = 0;
  const server = http.createServer((req, res) => {
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        const chunks: Buffer[] = [];
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          res.end();
          const file = `body-${n++}`;
          writeFileSync(path.join(dir, file), Buffer.concat(chunks));
          const headers = Object.entries(answer.headers)
            .filter(([name]) => !HOP_BY_HOP.has(name))
            .flatMap(([name, value]) =>
              (Array.isArray(value) ? value : [value ?? '']).map((v): [string, string] => [name, v]),
            );
          recorded[req.url ?? ''] = { status: answer.statusCode ?? 502, headers, file };
        });
      },
    );
    forward.on('error', () => res.destroy());
    // The client went away before the answer ended (its held live request): stop upstream too.
    res.on('close', () => {
      if (!res.writableEnded) forward.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${address.port}`,
    save: () => writeFileSync(path.join(dir, 'index.json'), JSON.stringify(recorded)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
