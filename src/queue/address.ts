// The address of a queue, as `--queue` takes it: redis://[USER:PASSWORD@]HOST[:PORT][/DB], or
// rediss:// for TLS. What is printed names the server without its password.
import { UserError } from '../errors.ts';

/** Where the queue's Redis server is, parsed from its URL. */
export interface QueueAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls: boolean;
  /** The URL as it is printed: no password. */
  display: string;
}

/** Parses `redis://HOST:PORT` (the default port is 6379); a malformed address is the user's mistake. */
export function parseQueueAddress(text: string): QueueAddress {
  // Echoed without anything between its scheme and its last @: a malformed address may still hold a
  // password, and one may contain / or @.
  const at = text.lastIndexOf('@');
  const scheme = /^[a-z][a-z0-9+.-]*:\/*/i.exec(text)?.[0] ?? '';
  const shown = at >= scheme.length ? `${scheme}…${text.slice(at)}` : text;
  const usage = `the queue's address is redis://HOST:PORT (or rediss:// for TLS), got '${shown}'`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(usage);
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || url.search !== '' || url.hash !== '') throw new UserError(usage);
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (!/^\d*$/.test(path)) throw new UserError(`the database in a queue's address is a number (redis://HOST:PORT/2), got '${shown}'`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1'); // an IPv6 literal without its brackets
  const display = `${url.protocol}//${url.host}${path === '' ? '' : `/${path}`}`;
  return {
    host,
    port,
    db: path === '' ? 0 : Number(path),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    tls: url.protocol === 'rediss:',
    display,
  };
}
