// Where the time of "sign-in → all points drawn" goes on the dashboard, from the browser's own
// performance timeline (resource timing plus marks set by an init script), all in ms after the
// page's own click on "Sign in" (Playwright's click adds its own round trips before it): the
// login answer, the sync plan, the matrix's narrow shape (its snapshot answer, then the answer
// that says up-to-date), the first and the last mark drawn.
import type { BrowserContext, Page } from 'playwright-core';

export type Span = { start: number; end: number } | undefined;
export type DashboardTimeline = {
  /** performance.now() of the page's click, to relate other clocks to it. */
  clickAt: number;
  login: Span;
  plan: Span;
  /** The matrix shape's first answer (offset=-1: the snapshot rows). */
  snapshot: Span;
  /** The matrix shape's non-live answers after the snapshot, up to the up-to-date. */
  catchUp: Span;
  first: number;
  all: number;
  /** Date.now() when all were drawn (to time from the bench's own clock, before Playwright's click). */
  allWall: number;
  /** Every request after the click (path, a few parameters, start→end), for BENCH_TRACE=1. */
  requests: string[];
};

/**
 * Marks the click on a submit button, and each frame counts the marks the matrix shows (a
 * canvas's data-drawn, else its SVG points) until `target` are drawn (run before the page loads).
 */
export async function instrumentDashboard(context: BrowserContext, target: number) {
  // tsx gives named functions a `__name` helper the page lacks (readDashboardTimeline's have it).
  await context.addInitScript('window.__name = (f) => f;');
  await context.addInitScript(`{
    const w = window;
    w.__dash = { click: 0, first: 0, all: 0, allWall: 0 };
    document.addEventListener('click', (event) => {
      if (event.target?.closest?.('button[type="submit"]')) w.__dash.click = performance.now();
    }, { capture: true });
    const frame = () => {
      const canvas = document.querySelector('[data-testid="matrix-canvas"]');
      const drawn = canvas
        ? Number(canvas.dataset.drawn ?? 0)
        : document.querySelectorAll('[data-testid="point"]').length;
      if (drawn > 0 && !w.__dash.first) w.__dash.first = performance.now();
      if (drawn >= ${target}) {
        w.__dash.all = performance.now();
        w.__dash.allWall = Date.now();
      }
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }`);
}

/** Whether every mark is drawn (poll with waitForFunction). */
export const allDrawn = () => (window as unknown as { __dash: { all: number } }).__dash.all > 0;

export async function readDashboardTimeline(page: Page): Promise<DashboardTimeline> {
  return page.evaluate(() => {
    const dash = (
      window as unknown as { __dash: { click: number; first: number; all: number; allWall: number } }
    ).__dash;
    const click = dash.click;
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
    const at = (test: (url: URL) => boolean) => entries.filter((e) => test(new URL(e.name)));
    const matrix = (url: URL) =>
      url.pathname === '/api/electric/sync' &&
      url.searchParams.get('table') === 'controls' &&
      url.searchParams.has('columns') &&
      url.searchParams.get('live') !== 'true';
    return {
      clickAt: click,
      login: span(at((url) => url.pathname === '/auth/login').slice(0, 1)),
      plan: span(at((url) => url.pathname === '/api/sync/plan').slice(0, 1)),
      snapshot: span(at((url) => matrix(url) && url.searchParams.get('offset') === '-1')),
      catchUp: span(at((url) => matrix(url) && url.searchParams.get('offset') !== '-1')),
      first: dash.first - click,
      all: dash.all - click,
      allWall: dash.allWall,
      requests: entries.map((e) => {
        const url = new URL(e.name);
        const params = [...url.searchParams]
          .filter(([k]) => ['table', 'log', 'offset', 'live'].includes(k))
          .map(([k, v]) => `${k}=${v}`)
          .join('&');
        return `${(e.startTime - click).toFixed(0)}→${(e.responseEnd - click).toFixed(0)} ${url.pathname}${params ? `?${params}` : ''}`;
      }),
    };
  });
}

const fmt = (span: Span) => (span ? `${span.start.toFixed(0)}→${span.end.toFixed(0)}` : '—');

/** One line: each step as start→end ms after the page's click. */
export function describeDashboardTimeline(t: DashboardTimeline): string {
  return `login ${fmt(t.login)}, plan ${fmt(t.plan)}, matrix snapshot ${fmt(t.snapshot)}, up-to-date ${fmt(t.catchUp)}, first mark ${t.first.toFixed(0)}, all ${t.all.toFixed(0)} ms`;
}
