// Local-first single-page app: everything renders in the browser.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
