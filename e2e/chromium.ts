// How every browser run here starts Chromium: Debian's own (Playwright never downloads one), with
// the background work that would compete with what is measured or tested turned off. Used by the
// Playwright config and by the browser benches (bench/web.ts, bench/register-on-demand.ts).
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};
