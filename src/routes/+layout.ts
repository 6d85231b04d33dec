// Hearth renders only on the device: there is no server that could render a page, and nothing to render
// before the local store is unlocked.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
