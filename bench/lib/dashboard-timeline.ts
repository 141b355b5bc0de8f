// Where the time of "sign-in → all points drawn" goes on the dashboard, from the browser's own
// performance timeline (click-timeline.ts, plus the first and the last mark drawn), all in ms
// after the page's own click on "Sign in": the login answer, the sync plan, the matrix's narrow
// shape (its snapshot answer, then the answers up to the up-to-date), the first and last mark.
import type { BrowserContext, Page } from 'playwright-core';
import {
  describeRequests,
  formatSpan,
  isControlsSync,
  markSubmitClick,
  requestsAfterClick,
  type Span,
  spanOf,
} from './click-timeline.ts';

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
 * Marks the click, and each frame counts the marks the matrix shows (a canvas's data-drawn,
 * else its SVG points) until `target` are drawn (run before the page loads).
 */
export async function instrumentDashboard(context: BrowserContext, target: number) {
  await markSubmitClick(context);
  await context.addInitScript(`{
    const w = window;
    w.__dash = { first: 0, all: 0, allWall: 0 };
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
  const { click, requests } = await requestsAfterClick(page);
  const dash = await page.evaluate(
    () => (window as unknown as { __dash: { first: number; all: number; allWall: number } }).__dash,
  );
  const at = (test: (url: URL) => boolean) => requests.filter((r) => test(r.url));
  const matrix = (url: URL) =>
    isControlsSync(url) && url.searchParams.has('columns') && url.searchParams.get('live') !== 'true';
  return {
    clickAt: click,
    login: spanOf(at((url) => url.pathname === '/auth/login').slice(0, 1)),
    plan: spanOf(at((url) => url.pathname === '/api/sync/plan').slice(0, 1)),
    snapshot: spanOf(at((url) => matrix(url) && url.searchParams.get('offset') === '-1')),
    catchUp: spanOf(at((url) => matrix(url) && url.searchParams.get('offset') !== '-1')),
    first: dash.first - click,
    all: dash.all - click,
    allWall: dash.allWall,
    requests: describeRequests(requests, ['table', 'log', 'offset', 'live']),
  };
}

/** One line: each step as start→end ms after the page's click. */
export function describeDashboardTimeline(t: DashboardTimeline): string {
  const fmt = formatSpan;
  return `login ${fmt(t.login)}, plan ${fmt(t.plan)}, matrix snapshot ${fmt(t.snapshot)}, up-to-date ${fmt(t.catchUp)}, first mark ${t.first.toFixed(0)}, all ${t.all.toFixed(0)} ms`;
}
