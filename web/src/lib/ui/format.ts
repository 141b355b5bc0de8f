// Plain-language formatting shared by the screens.
export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const minutes = Math.round((now - t) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

export function when(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? '—'
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function percent(p: number | string | null | undefined): string {
  if (p === null || p === undefined || p === '') return '—';
  return `${Math.round(Number(p) * 100)}%`;
}

export function distance(d: number | string | null | undefined): string {
  if (d === null || d === undefined || d === '') return 'unreachable';
  return String(Math.round(Number(d) * 100) / 100);
}
