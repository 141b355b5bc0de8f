// The HTTP load generator of bench/api.ts, in a process of its own: the client's work must run
// neither on the server's event loop nor in its process, so the parent's process.cpuUsage() over
// a case is the server's CPU alone (the driver cases' figures are the driver and its loop alone).
// A closed loop like timeLoop's (lib/measure.ts): `concurrency` keep-alive connections, each
// sending its next GET when the previous answer has been read in full (no pipelining).
// The client is lean on purpose, as load generators are (wrk, autocannon): each request is a
// prebuilt text and an answer is read by its Content-Length, so on a 2-core machine it takes
// as little CPU from the server as it can. Every answer's status must be 200, else it fails.
import { fork } from 'node:child_process';
import net from 'node:net';
import { type LoopResult, loopResult } from './measure.ts';

export type HttpLoadOptions = {
  /** http://host:port of the server. */
  address: string;
  /** Paths (with query) to GET; each request picks one at random. */
  paths: string[];
  token: string;
  seconds: number;
  concurrency: number;
  /** Requests per connection before the timed part (answers the parent's 'ready' message). */
  warmup?: number;
};

/** LoopResult plus the load generator's own CPU per request (ms), for the record. */
export type HttpLoadResult = LoopResult & { clientCpuMsPerOp: number };

/**
 * Runs one load in a child process. `onTimedStart` is called when the warm-up is over and the
 * timed loop begins (the caller starts its CPU measurement there).
 */
export function httpLoad(options: HttpLoadOptions, onTimedStart: () => void): Promise<HttpLoadResult> {
  const child = fork(import.meta.filename, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, HTTP_LOAD_CHILD: '1' },
  });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  return new Promise<HttpLoadResult>((resolve, reject) => {
    child.on('message', (message: { ready?: true; result?: HttpLoadResult; error?: string }) => {
      if (message.ready) onTimedStart();
      else if (message.error) reject(new Error(message.error));
      else if (message.result) resolve(message.result);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      process.off('exit', kill);
      reject(new Error(`the HTTP load generator exited with code ${code}`)); // no-op once settled
    });
    child.send(options);
  });
}

/** One keep-alive connection: get(path) sends a GET and resolves when its whole answer is read. */
function connection(host: string, port: number, headers: string) {
  const socket = net.connect({ host, port, noDelay: true });
  let buffered: Buffer = Buffer.alloc(0);
  let pending: { resolve: () => void; reject: (error: Error) => void } | undefined;
  let bodyLeft = -1; // -1: still reading the head
  const fail = (error: Error) => {
    const waiting = pending;
    pending = undefined;
    waiting?.reject(error);
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the server closed the connection')));
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (bodyLeft < 0) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.toString('latin1', 0, end);
      const status = head.slice(9, 12);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      if (status !== '200' || !length) {
        fail(new Error(`answer ${status}${length ? '' : ' without Content-Length'}: ${head.slice(0, 200)}`));
        return;
      }
      bodyLeft = Number(length[1]);
      buffered = buffered.subarray(end + 4);
    }
    if (buffered.length < bodyLeft) return;
    if (buffered.length > bodyLeft) fail(new Error('more bytes than the answer announced'));
    bodyLeft = -1;
    buffered = Buffer.alloc(0);
    const done = pending;
    pending = undefined;
    done?.resolve();
  });
  return {
    get: (path: string) =>
      new Promise<void>((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(`GET ${path} HTTP/1.1\r\n${headers}\r\n`);
      }),
    close: () => socket.destroy(),
  };
}

async function runLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const url = new URL(options.address);
  const headers = `Host: ${url.host}\r\nAuthorization: Bearer ${options.token}\r\nConnection: keep-alive\r\n`;
  const connections = Array.from({ length: options.concurrency }, () =>
    connection(url.hostname, Number(url.port), headers),
  );
  const pick = () => options.paths[Math.floor(Math.random() * options.paths.length)]!;
  const warmup = options.warmup ?? 20;
  await Promise.all(
    connections.map(async (c) => {
      for (let i = 0; i < warmup; i++) await c.get(pick());
    }),
  );
  process.send!({ ready: true });
  const cpuFrom = process.cpuUsage();
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    connections.map(async (c) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await c.get(pick());
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const result = loopResult(latencies, started);
  const cpu = process.cpuUsage(cpuFrom);
  for (const c of connections) c.close();
  return { ...result, clientCpuMsPerOp: (cpu.user + cpu.system) / 1000 / latencies.length };
}

if (process.env.HTTP_LOAD_CHILD === '1') {
  process.once('message', (options: HttpLoadOptions) => {
    runLoad(options).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: Error) => process.send!({ error: error.stack ?? String(error) }, () => process.exit(1)),
    );
  });
}
