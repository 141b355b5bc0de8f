// Owns what the browser benches read of a sign-in's own timeline: the page's click on the form's
// submit button (marked by an init script, since Playwright's click adds round trips of its own
// before the page sees it) and every request after it from the browser's resource timing, all
// in ms after that click. dashboard-timeline.ts and first-page-timeline.ts add their own marks.
import type { BrowserContext, Page } from 'playwright-core';

export type Span = { start: number; end: number } | undefined;
export type TimedRequest = { url: URL; start: number; end: number };

/** Marks the click on a submit button as `window.__benchClick` (run before the page loads). */
export async function markSubmitClick(context: BrowserContext) {
  // tsx gives named functions a `__name` helper that the page lacks.
  await context.addInitScript('window.__name = (f) => f;');
  await context.addInitScript(() => {
    document.addEventListener(
      'click',
      (event) => {
        if ((event.target as Element | null)?.closest?.('button[type="submit"]')) {
          (window as unknown as Record<string, number>).__benchClick = performance.now();
          performance.mark('bench-click'); // where a trace of the round starts (BENCH_PROFILE)
        }
      },
      { capture: true },
    );
  });
}

/** The click's performance.now() and every request that started after it, in ms after it. */
export async function requestsAfterClick(page: Page): Promise<{ click: number; requests: TimedRequest[] }> {
  const { click, entries } = await page.evaluate(() => {
    const at = (window as unknown as Record<string, number>).__benchClick ?? 0;
    const all = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    return {
      click: at,
      entries: all
        .filter((e) => e.startTime >= at)
        .map((e) => ({ name: e.name, start: e.startTime - at, end: e.responseEnd - at })),
    };
  });
  return { click, requests: entries.map((e) => ({ url: new URL(e.name), start: e.start, end: e.end })) };
}

/** From the first start to the last end of `requests`. */
export function spanOf(requests: TimedRequest[]): Span {
  if (requests.length === 0) return undefined;
  return {
    start: Math.min(...requests.map((r) => r.start)),
    end: Math.max(...requests.map((r) => r.end)),
  };
}

/** One line per request: start→end, path and the named query parameters (for BENCH_TRACE=1). */
export function describeRequests(requests: TimedRequest[], shown: readonly string[]): string[] {
  return requests.map(({ url, start, end }) => {
    const params = [...url.searchParams]
      .filter(([key]) => shown.includes(key))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    return `${start.toFixed(0)}→${end.toFixed(0)} ${url.pathname}${params ? `?${params}` : ''}`;
  });
}

export const formatSpan = (span: Span) => (span ? `${span.start.toFixed(0)}→${span.end.toFixed(0)}` : '—');

/** Whether `url` is a sync request of the controls table. */
export const isControlsSync = (url: URL) =>
  url.pathname === '/api/electric/sync' && url.searchParams.get('table') === 'controls';
