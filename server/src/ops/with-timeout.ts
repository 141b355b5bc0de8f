// Owns the one way operations code bounds a wait (health checks, scrape-time database reads):
// the promise, or a rejection after `ms` milliseconds. The timer never keeps the process alive.
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref();
    }),
  ]).finally(() => clearTimeout(timer));
}
