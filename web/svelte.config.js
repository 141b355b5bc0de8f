// SvelteKit configuration for the web app: a single-page app (no server rendering) built to
// web/build and served by the Node server at / with an SPA fallback to index.html.
import adapter from '@sveltejs/adapter-static';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  kit: {
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: false }),
    alias: { $lib: 'src/lib' },
  },
};

export default config;
