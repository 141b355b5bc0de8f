// The browser's one session: cookie mode against the same origin, Web Locks so only one tab
// refreshes at a time, a BroadcastChannel so the others adopt its token, and the last profile
// (never a token) in localStorage so the app opens offline after a reload.
import { createSession } from './session';
import type { Profile, SessionMessage } from './session-types';

const PROFILE_KEY = 'sertantai.profile';

function browserLock<T>(fn: () => Promise<T>): Promise<T> {
  if (typeof navigator !== 'undefined' && navigator.locks?.request) {
    return navigator.locks.request('sertantai-refresh', fn) as Promise<T>;
  }
  return fn();
}

const channel =
  typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('sertantai-session') : undefined;

const signedOutListeners = new Set<(reason: string) => void | Promise<void>>();

export const session = createSession({
  fetch: (input, init) => fetch(input, init),
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  lock: browserLock,
  broadcast: (message) => channel?.postMessage(message),
  storeProfile: (profile) => {
    try {
      if (profile) localStorage.setItem(PROFILE_KEY, JSON.stringify(profile));
      else localStorage.removeItem(PROFILE_KEY);
    } catch {
      // storage blocked: the app still works online
    }
  },
  loadProfile: () => {
    try {
      const raw = localStorage.getItem(PROFILE_KEY);
      return raw ? (JSON.parse(raw) as Profile) : undefined;
    } catch {
      return undefined;
    }
  },
  onSignedOut: async (reason) => {
    for (const listener of signedOutListeners) await listener(reason);
  },
});

if (channel) channel.onmessage = (event) => void session.receive(event.data as SessionMessage);
if (typeof window !== 'undefined') {
  window.addEventListener('online', () => void session.online());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void session.wake();
  });
}

export function onSignedOut(listener: (reason: string) => void | Promise<void>): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}
