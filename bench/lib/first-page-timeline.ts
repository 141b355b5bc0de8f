// Where the time of "sign-in → first register page" goes, from the browser's own performance
// timeline (click-timeline.ts, plus the first register row drawn and the end of the frame that
// paints it): the login answer, the sync plan, the register's changes-only stream (its first
// answer), the subset snapshot of the first page, the app code loaded after the click, and the
// render (subset answered → rows drawn → painted). All times are ms after the click on "Sign in".
import type { BrowserContext, Page } from 'playwright-core';
import {
  describeRequests,
  formatSpan,
  isControlsSync,
  markSubmitClick,
  requestsAfterClick,
  type Span,
  spanOf,
  type TimedRequest,
} from './click-timeline.ts';

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

/** Marks the click and the first register row drawn (run before the page loads). */
export async function instrument(context: BrowserContext) {
  await markSubmitClick(context);
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, number>;
    new MutationObserver((_, observer) => {
      if (document.querySelector('[data-testid="register-row"]')) {
        w.__benchRows = performance.now();
        // The frame is painted after its animation-frame callbacks: a task posted from one runs
        // once the frame's style, layout and paint are done (the rows are on screen).
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            w.__benchFrame = performance.now();
          };
          channel.port2.postMessage(null);
        });
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true });
  });
}

export async function readTimeline(page: Page): Promise<FirstPageTimeline> {
  await page.waitForFunction(() => (window as unknown as Record<string, number>).__benchFrame !== undefined);
  const { click, requests } = await requestsAfterClick(page);
  const marks = await page.evaluate(() => {
    const w = window as unknown as Record<string, number>;
    return { rows: w.__benchRows ?? Number.NaN, frame: w.__benchFrame ?? Number.NaN };
  });
  const first = (test: (url: URL) => boolean) => {
    const found = requests.find((r) => test(r.url));
    return found ? spanOf([found]) : undefined;
  };
  const code = requests.filter((r: TimedRequest) => /\.(js|css)$/.test(r.url.pathname));
  return {
    login: first((url) => url.pathname === '/auth/login'),
    plan: first((url) => url.pathname === '/api/sync/plan'),
    stream: first((url) => isControlsSync(url) && !url.searchParams.has('subset__limit')),
    subset: first((url) => isControlsSync(url) && url.searchParams.has('subset__limit')),
    code: spanOf(code),
    requests: describeRequests(requests, ['table', 'log', 'offset', 'live', 'subset__limit']),
    rowsDrawn: marks.rows - click,
    frame: marks.frame - click,
  };
}

/** One line: each step as start→end ms after the click. */
export function describeTimeline(t: FirstPageTimeline): string {
  const fmt = formatSpan;
  return `login ${fmt(t.login)}, plan ${fmt(t.plan)}, stream ${fmt(t.stream)}, subset ${fmt(t.subset)}, code ${fmt(t.code)}, rows ${t.rowsDrawn.toFixed(0)}, frame ${t.frame.toFixed(0)}`;
}
