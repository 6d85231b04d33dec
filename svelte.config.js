import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // The whole app is a client-side shell: the relay serves these files and never renders anything itself.
    // The fallback is not index.html, which adapter-static would let overwrite the prerendered start page.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: '200.html', strict: true }),
    // Registered through workbox-window so the page can offer "update available, reload".
    serviceWorker: { register: false },
    version: { pollInterval: 0 },
  },
};

export default config;
