// A base URL that snapshot paths are appended to (a mirror's): http or https, a host, a port from
// 1 to 65535 if one is written, and no user name, password, query or fragment. Checked on the text
// as written (the URL parser quietly drops an empty port, reads `http:///x` as host x and turns
// backslashes into slashes), then parsed with URL. Pure.

export type BaseUrlCheck = { ok: true; url: string } | { ok: false; problem: string };

/** The URL normalised to end with '/', or what is wrong with it (phrased to follow "url ..."). */
export function checkBaseUrl(text: string): BaseUrlCheck {
  const fail = (problem: string): BaseUrlCheck => ({ ok: false, problem });
  if (/[\s\\\u0000-\u001f\u007f]/.test(text)) return fail('must not contain spaces, control characters or backslashes');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return fail('must be an absolute http(s) URL');
  if (scheme !== 'http' && scheme !== 'https') return fail(`must be http(s), not ${scheme}:`);
  const rest = text.slice(scheme.length + 1);
  if (!rest.startsWith('//')) return fail(`must start with ${scheme}:// and a host`);
  const authority = /^[^/?#]*/.exec(rest.slice(2))?.[0] ?? '';
  if (authority.includes('@')) return fail('must not carry a user name or password (credentials never go in this file)');
  const hostPort = authority.startsWith('[') ? /^(\[[^\]]*\])(?::(.*))?$/.exec(authority) : /^([^:]*)(?::(.*))?$/.exec(authority);
  if (hostPort === null) return fail('is not a valid URL (check the host name)');
  const [, host = '', port] = hostPort;
  if (host === '') return fail('must name a host');
  if (port !== undefined) {
    if (port === '') return fail("has an empty port after ':'; write a port from 1 to 65535 or leave out the ':'");
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return fail(`port must be from 1 to 65535, not ${port}`);
  }
  if (/[?#]/.test(text)) return fail('must not have a query (?) or fragment (#): snapshot paths are added to it');
  let hostname: string;
  try {
    hostname = new URL(text).hostname;
  } catch {
    return fail('is not a valid URL (check the host name)');
  }
  if (hostname === '') return fail('must name a host');
  return { ok: true, url: text.endsWith('/') ? text : `${text}/` };
}
