// The edge's 503 page tells a reader every way in the signed state names (issue 10, Readers),
// Chinese first, without a script, with links that work from any address.
import { describe, expect, it } from 'vitest';
import { unavailablePage } from '../../src/edge/pages.ts';

const ONION = 'http://ferryexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion/';

describe('the 503 page', () => {
  it('lists the canonical with its QR code, every mirror, the onion address and the feeds, absolute', () => {
    const page = unavailablePage({
      canonical: 'https://blog.example.org/',
      mirrors: [
        { id: 'b', kind: 'http', url: 'https://b.example.net/blog/', priority: 2 },
        { id: 'a', kind: 'http', url: 'https://blog.example.org/', priority: 1 },
        { id: 'tor', kind: 'http', url: ONION, priority: 3 },
      ],
    });
    expect(page.indexOf('暂时无法访问')).toBeLessThan(page.indexOf('Temporarily unavailable'));
    expect(page).toMatch(/<figure class="qr" role="img" aria-label="QR: https:\/\/blog.example.org\/"><svg /);
    expect(page.indexOf('https://blog.example.org/"')).toBeLessThan(page.indexOf('https://b.example.net/blog/"'));
    // Shown without a stylesheet: long addresses may wrap (<wbr>), and read the same without the breaks.
    expect(page.replaceAll('<wbr>', '')).toContain(`<p><code>${ONION}</code></p>`);
    expect(page).toMatch(/<code>[^<]{1,17}<wbr>/);
    expect(page).toContain('<a href="https://blog.example.org/atom.xml" type="application/atom+xml">');
    expect(page).not.toMatch(/<script|style=/i);
  });

  it('escapes what the manifest says, and shows only the message without one', () => {
    const page = unavailablePage({
      canonical: 'https://blog.example.org/',
      mirrors: [{ id: 'x', kind: 'http', url: 'https://x.example/"><script>alert(1)</script>', priority: 1 }],
    });
    expect(page).not.toContain('<script>');
    const bare = unavailablePage(undefined);
    expect(bare).toContain('Temporarily unavailable');
    expect(bare).not.toContain('<figure');
  });
});
