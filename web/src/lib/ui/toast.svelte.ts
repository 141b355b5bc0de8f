// Short messages for people: what happened, in plain words. Errors stay until dismissed.
export type Toast = { id: number; message: string; kind: 'info' | 'success' | 'error' };

export const toasts = $state<{ list: Toast[] }>({ list: [] });
let next = 1;

export function notify(message: string, kind: Toast['kind'] = 'info') {
  const id = next++;
  toasts.list = [...toasts.list.filter((t) => t.message !== message), { id, message, kind }].slice(-4);
  if (kind !== 'error') setTimeout(() => dismiss(id), 4000);
}

export function dismiss(id: number) {
  toasts.list = toasts.list.filter((t) => t.id !== id);
}
