// A mirror's URL is a base that snapshot paths are added to: http(s), a host, a port from 1 to
// 65535 if one is written, no user name, password, query or fragment (issue 12: `http://127.0.0.1:/`
// was accepted). Table-driven, through the mirror list parser every runtime uses.
import { describe, expect, it } from 'vitest';
import { checkBaseUrl } from '../../src/core/base-url.ts';
import { ConfigError } from '../../src/core/config-error.ts';
import { parseMirrorsConfig } from '../../src/core/mirrors-config.ts';

const parse = (url: unknown): unknown =>
  parseMirrorsConfig(JSON.stringify({ mirrors: [{ id: 'a', kind: 'http', url }] }), 'mirrors.json', ['http', 'ipfs-gateway']);

describe('mirror URLs that are refused, each with what is wrong', () => {
  const refused: Array<[string, string]> = [
    ['http://127.0.0.1:/', "has an empty port after ':'; write a port from 1 to 65535 or leave out the ':'"],
    ['https://mirror.example.org:/blog/', "has an empty port after ':'; write a port from 1 to 65535 or leave out the ':'"],
    ['http://127.0.0.1:0/', 'port must be from 1 to 65535, not 0'],
    ['http://127.0.0.1:65536/', 'port must be from 1 to 65535, not 65536'],
    ['http://127.0.0.1:123456/', 'port must be from 1 to 65535, not 123456'],
    ['http://127.0.0.1:80a/', 'port must be from 1 to 65535, not 80a'],
    ['http://[::1]:/', "has an empty port after ':'; write a port from 1 to 65535 or leave out the ':'"],
    ['ftp://mirror.example.org/', 'must be http(s), not ftp:'],
    ['file:///etc/', 'must be http(s), not file:'],
    ['javascript:alert(1)', 'must be http(s), not javascript:'],
    ['mirror.example.org/', 'must be an absolute http(s) URL'],
    ['//mirror.example.org/', 'must be an absolute http(s) URL'],
    ['http:mirror.example.org/', 'must start with http:// and a host'],
    ['http:///mirror.example.org/', 'must name a host'],
    ['http://', 'must name a host'],
    ['https://:8080/', 'must name a host'],
    ['https://user:secret@mirror.example.org/', 'must not carry a user name or password (credentials never go in this file)'],
    ['https://@mirror.example.org/', 'must not carry a user name or password (credentials never go in this file)'],
    ['https://mirror.example.org/?v=1', 'must not have a query (?) or fragment (#): snapshot paths are added to it'],
    ['https://mirror.example.org/?', 'must not have a query (?) or fragment (#): snapshot paths are added to it'],
    ['https://mirror.example.org/#top', 'must not have a query (?) or fragment (#): snapshot paths are added to it'],
    ['https://mirror.example.org/#', 'must not have a query (?) or fragment (#): snapshot paths are added to it'],
    ['https://mirror example.org/', 'must not contain spaces, control characters or backslashes'],
    [' https://mirror.example.org/', 'must not contain spaces, control characters or backslashes'],
    ['https:\\\\mirror.example.org\\', 'must not contain spaces, control characters or backslashes'],
    ['https://mirror.example.org/\n', 'must not contain spaces, control characters or backslashes'],
    ['https://[::1/', 'is not a valid URL (check the host name)'],
    ['https://exa%mple.org/', 'is not a valid URL (check the host name)'],
  ];
  it.each(refused)('%j: url %s', (url, problem) => {
    expect(() => parse(url)).toThrow(ConfigError);
    expect(() => parse(url)).toThrow(`mirrors.json: mirror 'a': url ${problem}, e.g. "url": "https://mirror.example.org/"`);
    expect(checkBaseUrl(url)).toEqual({ ok: false, problem });
  });

  it('a URL that is not a string', () => {
    expect(() => parse(8787)).toThrow(
      `mirrors.json: mirror 'a': url must be an http(s) URL in a string, e.g. "url": "https://mirror.example.org/"`,
    );
  });
});

describe('mirror URLs that are accepted, ending with one /', () => {
  const accepted: Array<[string, string]> = [
    ['http://127.0.0.1:8787/', 'http://127.0.0.1:8787/'],
    ['http://127.0.0.1:1/', 'http://127.0.0.1:1/'],
    ['http://127.0.0.1:65535', 'http://127.0.0.1:65535/'],
    ['https://mirror.example.org', 'https://mirror.example.org/'],
    ['https://mirror.example.org:443/', 'https://mirror.example.org:443/'],
    ['https://org.github.io/blog', 'https://org.github.io/blog/'],
    ['https://org.github.io/blog/', 'https://org.github.io/blog/'],
    ['HTTPS://Mirror.Example.org/', 'HTTPS://Mirror.Example.org/'],
    ['http://[::1]:8080/', 'http://[::1]:8080/'],
    [
      'http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion/',
      'http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion/',
    ],
    ['https://xn--fiqs8s.example/%E5%8D%9A%E5%AE%A2/', 'https://xn--fiqs8s.example/%E5%8D%9A%E5%AE%A2/'],
  ];
  it.each(accepted)('%s -> %s', (url, normalised) => {
    expect(parse(url)).toEqual([{ id: 'a', kind: 'http', url: normalised, priority: 10 }]);
    expect(checkBaseUrl(url)).toEqual({ ok: true, url: normalised });
  });

  it('ipfs-gateway URLs are checked the same way', () => {
    const text = JSON.stringify({
      mirrors: [
        { id: 'g', kind: 'ipfs-gateway', url: 'http://127.0.0.1:/', cid: 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi' },
      ],
    });
    expect(() => parseMirrorsConfig(text, 'mirrors.json', ['ipfs-gateway'])).toThrow(
      `mirrors.json: mirror 'g': url has an empty port after ':'`,
    );
  });
});
