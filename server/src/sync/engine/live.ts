// Owns the engine's live subscribers: long-polls held until their shape's log changes (or
// liveTimeoutMs passes), and SSE streams that send each logged transaction as `data:` events.
// Every waiter is registered so that stop() ends them at once and the server closes promptly.

import type { EngineOptions } from '../../sync-settings.ts';
import type { Entry } from './log-types.ts';
import { cacheLiveSse, nextCursor, UP_TO_DATE } from './protocol.ts';
import type { ShapeLog } from './shape-log.ts';

const encoder = new TextEncoder();

export class LiveSubscribers {
  /** Long-polls and SSE streams waiting (the live-subscribers gauge). */
  count = 0;
  /** How to end each waiting request now. */
  private readonly open = new Set<() => void>();

  constructor(private readonly options: EngineOptions) {}

  /** Ends every held long-poll and SSE stream (on stop). */
  closeAll() {
    for (const close of [...this.open]) close();
  }

  /** Holds a long-poll until the log changes, is dropped, the client leaves or the timeout. */
  async hold(log: ShapeLog, signal: AbortSignal): Promise<void> {
    log.liveSubscribers++;
    this.count++;
    try {
      await this.waitForChange(log, signal);
    } finally {
      log.liveSubscribers--;
      this.count--;
    }
  }

  private waitForChange(log: ShapeLog, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        log.waiters.delete(done);
        signal.removeEventListener('abort', done);
        this.open.delete(done);
        resolve();
      };
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, this.options.liveTimeoutMs);
      log.waiters.add(done);
      this.open.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * An SSE answer from just after offset `after` on: what is logged now, then each new transaction, each
   * batch closed by an up-to-date carrying global_last_seen_lsn (the client's next offset).
   * Closed after sseMaxMs so the client reconnects (and its token is checked again).
   */
  sse(
    log: ShapeLog,
    after: { lsn: number; op: number },
    requested: string,
    cursor: string | undefined,
    signal: AbortSignal,
  ): Response {
    // The position is found again from the last offset sent: compaction moves entries.
    let sent = after;
    let cleanup = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        const send = (text: string) => {
          if (!closed) controller.enqueue(encoder.encode(text));
        };
        const flush = () => {
          if (log.dropped) return close();
          let position = log.positionAfter(sent.lsn, sent.op);
          if (position >= log.entries.length) return;
          let text = '';
          for (; position < log.entries.length; position++) {
            const entry = log.entries[position] as Entry;
            text += `data: ${entry.json}\n\n`;
            sent = entry;
          }
          const end = log.lastEndLsn();
          const upToDate =
            end === undefined
              ? UP_TO_DATE
              : `{"headers":{"control":"up-to-date","global_last_seen_lsn":"${end}"}}`;
          send(`${text}data: ${upToDate}\n\n`);
          log.lastAccess = Date.now();
        };
        const keepAlive = setInterval(() => send(': keep-alive\n\n'), this.options.sseKeepAliveMs);
        const maxTimer = setTimeout(() => close(), this.options.sseMaxMs);
        const wake = () => flush();
        const close = () => {
          if (closed) return;
          closed = true;
          cleanup();
          try {
            controller.close();
          } catch {}
        };
        cleanup = () => {
          clearInterval(keepAlive);
          clearTimeout(maxTimer);
          log.waiters.delete(wake);
          this.open.delete(close);
          signal.removeEventListener('abort', close);
          log.liveSubscribers--;
          this.count--;
          cleanup = () => {};
        };
        log.liveSubscribers++;
        this.count++;
        log.waiters.add(wake);
        this.open.add(close);
        signal.addEventListener('abort', close, { once: true });
        if (signal.aborted) return close();
        // What is logged already goes at once; with nothing new, nothing is sent (not even an
        // up-to-date: the client is up to date already) until a change comes, as Electric does.
        flush();
      },
      cancel: () => cleanup(),
    });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': cacheLiveSse(this.options.sseMaxMs),
        'x-accel-buffering': 'no',
        // An SSE connection is never reused: closing it with the stream keeps no half-dead
        // keep-alive socket around to hold up server shutdown.
        connection: 'close',
        'electric-handle': log.handle,
        'electric-offset': requested,
        'electric-cursor': nextCursor(cursor),
      },
    });
  }
}
