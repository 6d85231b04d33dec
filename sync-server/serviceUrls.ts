import { z } from 'zod';

/** A URL whose scheme is one of `schemes`, with a host; the message names what is wrong, never the password. */
function serviceUrl(what: string, schemes: string[]) {
  const example = `${schemes[0]}//user:password@host:port/...`;
  return z.string().superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `not a URL; expected ${what} like ${example}` });
      return;
    }
    if (!schemes.includes(url.protocol)) {
      ctx.addIssue({
        code: 'custom',
        message: `scheme ${url.protocol} is not ${schemes.join(' or ')}; expected ${what} like ${example}`,
      });
    } else if (!url.hostname) {
      ctx.addIssue({ code: 'custom', message: `no host; expected ${what} like ${example}` });
    }
  });
}

export const DatabaseUrl = serviceUrl('a PostgreSQL URL', ['postgres:', 'postgresql:']);
export const RedisUrl = serviceUrl('a Redis URL', ['redis:', 'rediss:']);

/** Variables that may carry credentials: their values are never printed back. */
export const SECRET_VARIABLES = new Set(['DATABASE_URL', 'REDIS_URL']);

/** `value` with any password replaced, for messages and logs. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    // Not parseable, so we cannot tell which part is secret: hide all of it.
    return '(hidden)';
  }
}
