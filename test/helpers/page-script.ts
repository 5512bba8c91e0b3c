// The one script every snapshot page carries: the registration of the reader's service worker
// (src/core/render-html.ts REGISTER_SCRIPT, allowed by its CSP hash). Tests that prove a page runs
// nothing planted remove exactly that element first, then look for any other script.
import { REGISTER_SCRIPT } from '../../src/core/render-html.ts';

const REGISTRATION = new RegExp(
  `<script data-sw="(?:\\.\\./)*sw\\.js">${REGISTER_SCRIPT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</script>\\n`,
  'g',
);

/** The page's text without its registration script (there is at most one). */
export function withoutRegistration(text: string): string {
  const found = text.match(REGISTRATION)?.length ?? 0;
  if (found > 1) throw new Error(`a page carries the service worker's registration ${found} times`);
  return text.replace(REGISTRATION, '');
}
