// The online / offline / syncing indicator. Fed by the browser's online events, by each shape
// stream's requests and answers, and by the outbox of writes waiting to be sent.
export type Connection = 'online' | 'offline' | 'syncing';

export const connection = $state({
  browserOnline: typeof navigator === 'undefined' ? true : navigator.onLine,
  streamFailing: false,
  pending: 0,
  loading: true,
});

let lastError = 0;

export function activity(_table: string, state: 'request' | 'response' | 'error') {
  if (state === 'error') {
    lastError = Date.now();
    connection.streamFailing = true;
  } else if (state === 'response') {
    connection.streamFailing = false;
    connection.loading = false;
  } else if (connection.streamFailing && Date.now() - lastError > 60_000) {
    connection.streamFailing = false;
  }
}

export function connectionState(): Connection {
  if (!connection.browserOnline || connection.streamFailing) return 'offline';
  if (connection.pending > 0 || connection.loading) return 'syncing';
  return 'online';
}

if (typeof window !== 'undefined') {
  window.addEventListener('online', () => {
    connection.browserOnline = true;
  });
  window.addEventListener('offline', () => {
    connection.browserOnline = false;
  });
}
