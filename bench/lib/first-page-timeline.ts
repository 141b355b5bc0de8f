// Where the time of "sign-in → first register page" goes, from the browser's own performance
// timeline (resource timing plus two marks set by an init script): the login answer, the sync
// plan, the register's changes-only stream (its first answer), the subset snapshot of the first
// page, the app code loaded after the click, and the render (subset answered → rows drawn).
// All times are ms after the click on "Sign in".
import type { BrowserContext, Page } from 'playwright-core';

export type Span = { start: number; end: number } | undefined;
export type FirstPageTimeline = {
  login: Span;
  plan: Span;
  stream: Span;
  subset: Span;
  code: Span;
  rowsDrawn: number;
  frame: number;
  /** Every request after the click (path, parameters, start→end), for BENCH_TRACE=1. */
  requests: string[];
};

/** Marks the click on a submit button and the first register row drawn (run before the page loads). */
export async function instrument(context: BrowserContext) {
  // tsx keeps function names with a `__name` helper that the page does not have.
  await context.addInitScript('window.__name = (f) => f;');
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, number>;
    document.addEventListener(
      'click',
      (event) => {
        if ((event.target as Element | null)?.closest?.('button[type="submit"]'))
          w.__benchClick = performance.now();
      },
      { capture: true },
    );
    new MutationObserver((_, observer) => {
      if (document.querySelector('[data-testid="register-row"]')) {
        w.__benchRows = performance.now();
        requestAnimationFrame(() => {
          w.__benchFrame = performance.now();
        });
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
}

export async function readTimeline(page: Page): Promise<FirstPageTimeline> {
  await page.waitForFunction(() => (window as unknown as Record<string, number>).__benchFrame !== undefined);
  return page.evaluate(() => {
    const w = window as unknown as Record<string, number>;
    const click = w.__benchClick ?? 0;
    const entries = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter(
      (e) => e.startTime >= click,
    );
    const span = (list: PerformanceResourceTiming[]) =>
      list.length === 0
        ? undefined
        : {
            start: Math.min(...list.map((e) => e.startTime)) - click,
            end: Math.max(...list.map((e) => e.responseEnd)) - click,
          };
    const first = (test: (url: URL) => boolean) => {
      const found = entries.find((e) => test(new URL(e.name)));
      return found ? span([found]) : undefined;
    };
    const controls = (url: URL) =>
      url.pathname === '/api/electric/sync' && url.searchParams.get('table') === 'controls';
    return {
      login: first((url) => url.pathname === '/auth/login'),
      plan: first((url) => url.pathname === '/api/sync/plan'),
      stream: first((url) => controls(url) && !url.searchParams.has('subset__limit')),
      subset: first((url) => controls(url) && url.searchParams.has('subset__limit')),
      code: span(entries.filter((e) => /\.(js|css)$/.test(new URL(e.name).pathname))),
      requests: entries.map((e) => {
        const url = new URL(e.name);
        const params = [...url.searchParams]
          .filter(([k]) => ['table', 'log', 'offset', 'live', 'subset__limit'].includes(k))
          .map(([k, v]) => `${k}=${v}`)
          .join('&');
        return `${(e.startTime - click).toFixed(0)}→${(e.responseEnd - click).toFixed(0)} ${url.pathname}${params ? `?${params}` : ''}`;
      }),
      rowsDrawn: (w.__benchRows ?? Number.NaN) - click,
      frame: (w.__benchFrame ?? Number.NaN) - click,
    };
  });
}

const fmt = (span: Span) => (span ? `${span.start.toFixed(0)}→${span.end.toFixed(0)}` : '—');

/** One line: each step as start→end ms after the click. */
export function describeTimeline(t: FirstPageTimeline): string {
  return `login ${fmt(t.login)}, plan ${fmt(t.plan)}, stream ${fmt(t.stream)}, subset ${fmt(t.subset)}, code ${fmt(t.code)}, rows ${t.rowsDrawn.toFixed(0)}, frame ${t.frame.toFixed(0)}`;
}
