import { isIP } from 'node:net';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || (isIP(hostname) === 4 && hostname.startsWith('127.'));
}

/**
 * Why the relay will not post to `endpoint`, or null if it will. Push services are public https hosts with DNS
 * names, so anything else is refused: the relay makes requests to these URLs, and must not be steered at itself or
 * at hosts on its own network. With `allowInsecure` (tests, local development) an http:// loopback URL passes too.
 * A DNS name that resolves to a private address is not caught here; deployments that care filter egress.
 */
export function pushEndpointProblem(endpoint: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'the endpoint is not an absolute URL';
  }
  if (url.username || url.password) return 'the endpoint may not carry credentials';
  const webScheme = url.protocol === 'https:' || url.protocol === 'http:';
  if (allowInsecure && webScheme && isLoopback(url.hostname)) return null;
  if (url.protocol !== 'https:') return 'the endpoint must be an https: URL';
  const bareHost = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(bareHost) !== 0 || LOOPBACK_HOSTS.has(url.hostname)) {
    return 'the endpoint must name a push service by its host name';
  }
  return null;
}
