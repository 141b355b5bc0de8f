// The signed-in person's inbox over REST (notifications are per person, so they are not a
// synced table): the unread count the header badge shows, polled every minute and when the tab
// comes back, and the reads and writes of the inbox page.
import { session } from '../api/client';
import { sendJson } from './records';

export type Notification = {
  id: string;
  control_id: string;
  control_name: string;
  kind: 'due_soon' | 'overdue';
  due_on: string;
  escalated: boolean;
  message: string;
  created_at: string;
  read_at: string | null;
};

const POLL_MS = 60_000;
let unread = $state(0);
let polling: ReturnType<typeof setInterval> | undefined;

export const inbox = {
  get unread(): number {
    return unread;
  },
};

export async function refreshUnread(): Promise<void> {
  try {
    unread = (await session.json<{ count: number }>('/api/notifications/unread-count')).count;
  } catch {
    // offline or signed out: keep the last count
  }
}

/** Starts the badge's polling; the returned function stops it. */
export function watchUnread(): () => void {
  void refreshUnread();
  polling ??= setInterval(() => void refreshUnread(), POLL_MS);
  const onVisible = () => {
    if (document.visibilityState === 'visible') void refreshUnread();
  };
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    clearInterval(polling);
    polling = undefined;
    document.removeEventListener('visibilitychange', onVisible);
  };
}

export async function loadNotifications(onlyUnread: boolean): Promise<Notification[]> {
  const answer = await session.json<{ data: Notification[]; unread: number }>(
    `/api/notifications?limit=200${onlyUnread ? '&unread=true' : ''}`,
  );
  unread = answer.unread;
  return answer.data;
}

export async function markRead(id: string): Promise<void> {
  await sendJson(`/api/notifications/${id}/read`, 'POST');
  await refreshUnread();
}

export async function markAllRead(): Promise<number> {
  const { marked } = await sendJson<{ marked: number }>('/api/notifications/read-all', 'POST');
  await refreshUnread();
  return marked;
}
