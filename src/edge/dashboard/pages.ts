// The dashboard's pages as HTML strings, pure: no script, no external asset, one stylesheet
// served from /_ferry/dashboard.css (the CSP allows nothing else), small enough for a slow link.
import { reasonText } from './reason-text.ts';
import { diffLines } from 'diff';
import { escapeHtml as esc } from '../../core/render-html.ts';
import type { Verdict } from '../../core/health/observation.ts';
import type { DashboardView, HeldPostView, TargetView } from '../../ports/dashboard.ts';
import { t, VERDICT_TEXT, type Lang } from './text.ts';
import { renderEdgeNote } from './edge-note.ts';

export const DASHBOARD_CSS = `body{font:15px/1.45 system-ui,"WenQuanYi Micro Hei",sans-serif;margin:0 auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
header{display:flex;gap:1rem;align-items:center;justify-content:space-between;border-bottom:1px solid #ccc;padding:.5rem 0}
h1{font-size:1.3rem;margin:0}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #e4e4e4;vertical-align:top}
.s{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.85rem;color:#fff}
.healthy{background:#22733a}.degraded{background:#9a6a00}.unreachable{background:#6b6b6b}.blocked{background:#a3381c}.compromised{background:#7a0c4f}
.flash{padding:.5rem;border:1px solid #999;background:#f4f4f4}.err{border-color:#a3381c}
form.i{display:inline;margin:0}button{font:inherit;padding:.1rem .5rem;white-space:nowrap}td.acts{white-space:nowrap}
.ev{font-size:.85rem;color:#444}td.ev{overflow-wrap:anywhere}.s,.n{white-space:nowrap}.mono{font-family:ui-monospace,monospace;font-size:.8rem;white-space:pre-wrap;word-break:break-word}
.diff{table-layout:fixed}.diff td{overflow-wrap:anywhere}.del{background:#fbe3e3}.add{background:#e1f5e4}td.mono{width:50%}
nav a{margin-left:.6rem}svg{vertical-align:middle}`;

function badge(state: Verdict, lang: Lang): string {
  return `<span class="s ${state}">${esc(VERDICT_TEXT[state][lang])}</span>`;
}

function shell(lang: Lang, title: string, body: string, nav = ''): string {
  const other = lang === 'zh' ? 'en' : 'zh';
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-Hans' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><link rel="stylesheet" href="/_ferry/dashboard.css"></head>
<body><header><h1>${esc(title)}</h1><nav>${nav}<a href="?lang=${other}" hreflang="${other}">${other === 'zh' ? '中文' : 'English'}</a></nav></header>
${body}
</body></html>`;
}

/** A latency sparkline, inline SVG (no external asset), or '' without data. */
export function sparkline(values: readonly number[], width = 120, height = 24): string {
  if (values.length < 2) return '';
  const max = Math.max(...values, 1);
  const step = width / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
  const last = values[values.length - 1] ?? 0;
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${Math.round(last)} ms"><polyline fill="none" stroke="#335" stroke-width="1.5" points="${points}"/></svg> <span class="n">${Math.round(last)} ms</span>`;
}

function hidden(csrf: string, fields: Record<string, string>): string {
  return [
    `<input type="hidden" name="csrf" value="${esc(csrf)}">`,
    ...Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`),
  ].join('');
}

function actionForm(csrf: string, action: string, fields: Record<string, string>, label: string): string {
  return `<form class="i" method="post" action="/_ferry/actions/${action}">${hidden(csrf, fields)}<button>${esc(label)}</button></form>`;
}

export function renderLogin(lang: Lang, error?: string): string {
  const body = `${error === undefined ? '' : `<p class="flash err">${esc(error)}</p>`}
<form method="post" action="/_ferry/login"><p><label>${esc(t('token', lang))}<br><input type="password" name="token" autocomplete="current-password" required minlength="32" size="48"></label></p>
<p><button>${esc(t('signIn', lang))}</button></p></form>`;
  return shell(lang, t('title', lang), body);
}

function targetRow(m: TargetView, lang: Lang, csrf: string, can: ReadonlySet<string>, isCanonical: boolean): string {
  const vantages = m.vantages
    .map((v) => `${esc(v.vantage.id)}${v.vantage.country === undefined ? '' : ` (${esc(v.vantage.country)})`}: ${badge(v.verdict, lang)}`)
    .join('<br>');
  const evidence =
    m.evidence.length === 0
      ? ''
      : m.evidence
          .slice(0, 3)
          .map((e) => `${esc(e.layer)}: ${esc(e.message)}`)
          .join('<br>');
  const acts: string[] = [];
  if (m.state === 'compromised' && can.has('clear')) acts.push(actionForm(csrf, 'clear', { mirror: m.id }, t('clear', lang)));
  if (m.id.startsWith('@')) {
    // the origin: nothing to pause or make canonical
  } else {
    if (m.paused && can.has('resume')) acts.push(actionForm(csrf, 'resume', { mirror: m.id }, t('resume', lang)));
    if (!m.paused && can.has('pause')) acts.push(actionForm(csrf, 'pause', { mirror: m.id }, t('pause', lang)));
    if (!isCanonical && m.url !== undefined && (m.state === 'healthy' || m.state === 'degraded') && !m.paused && can.has('rotate'))
      acts.push(actionForm(csrf, 'rotate', { mirror: m.id }, t('makeCanonical', lang)));
  }
  return `<tr id="m-${esc(m.id)}"><td><b>${esc(m.id)}</b>${isCanonical ? ` ★` : ''}<br><span class="ev">${esc(m.url ?? '')}</span></td>
<td>${badge(m.state, lang)}${m.paused ? ` <i>${esc(t('paused', lang))}</i>` : ''}<br><span class="ev">${esc(t('since', lang))} ${esc(m.since)}</span></td>
<td>${vantages}</td><td class="ev">${evidence}</td><td>${sparkline(m.latencies)}</td><td class="acts">${acts.join(' ')}</td></tr>`;
}

/** A side-by-side diff of two texts, line by line (the `diff` package). */
export function sideBySide(before: string, after: string): string {
  const rows: string[] = [];
  const parts = diffLines(before, after);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === undefined) continue;
    if (!p.added && !p.removed) {
      rows.push(`<tr><td class="mono">${esc(p.value)}</td><td class="mono">${esc(p.value)}</td></tr>`);
      continue;
    }
    const next = parts[i + 1];
    if (p.removed && next?.added === true) {
      rows.push(`<tr><td class="mono del">${esc(p.value)}</td><td class="mono add">${esc(next.value)}</td></tr>`);
      i++;
    } else if (p.removed) rows.push(`<tr><td class="mono del">${esc(p.value)}</td><td></td></tr>`);
    else rows.push(`<tr><td></td><td class="mono add">${esc(p.value)}</td></tr>`);
  }
  return `<table class="diff">${rows.join('')}</table>`;
}

function heldPost(p: HeldPostView, lang: Lang, csrf: string, can: ReadonlySet<string>): string {
  const diff =
    p.published !== undefined && p.held !== undefined
      ? `<table class="diff"><tr><th>${esc(t('before', lang))}</th><th>${esc(t('after', lang))}</th></tr></table>${sideBySide(p.published, p.held)}`
      : p.held !== undefined
        ? `<div class="mono add">${esc(p.held)}</div>`
        : '';
  const acts = [
    can.has('approve') ? actionForm(csrf, 'approve', { post: p.id }, t('approve', lang)) : '',
    can.has('reject') ? actionForm(csrf, 'reject', { post: p.id }, t('reject', lang)) : '',
  ].join(' ');
  return `<section id="held-${esc(p.id)}"><h3>${esc(p.title)} <span class="ev">${esc(p.id)}</span></h3>
<p class="ev">${esc(t('flagged', lang))}: ${p.reasons.map(esc).join('; ')}</p>${diff}<p>${acts}</p></section>`;
}

export interface OverviewInput {
  view: DashboardView;
  lang: Lang;
  csrf: string;
  who: string;
  can: ReadonlySet<string>;
  flash?: { ok: boolean; message: string };
}

export function renderOverview({ view, lang, csrf, who, can, flash }: OverviewInput): string {
  const canonicalId = view.canonical?.id;
  const rows = view.mirrors.map((m) => targetRow(m, lang, csrf, can, m.id === canonicalId)).join('\n');
  const origin = view.origin === undefined ? '' : targetRow(view.origin, lang, csrf, can, false);
  const publishes = view.publishes
    .map(
      (
        p,
      ) => `<tr><td>${esc(p.ended ?? p.started)}</td><td>${esc(p.trigger)}</td><td>${p.version ?? ''}</td><td class="ev">${esc(p.cid ?? '')}</td>
<td>${esc(p.outcome)}${p.error === undefined ? '' : `<br><span class="ev">${esc(p.error)}</span>`}</td><td class="ev">${p.targets.map((x) => `${esc(x.target)}: ${x.ok ? 'ok' : esc(x.error ?? 'failed')}`).join('<br>')}</td></tr>`,
    )
    .join('');
  const alerts = view.alerts
    .map(
      (a) =>
        `<tr><td>${esc(a.at)}</td><td>${esc(a.channel)}</td><td>${esc(a.subject)}</td><td>${a.ok ? 'ok' : esc(a.error ?? 'failed')}</td></tr>`,
    )
    .join('');
  const history = view.actions
    .map((a) => `<tr><td>${esc(a.at)}</td><td>${esc(a.who)}</td><td>${esc(a.action)}</td><td>${esc(a.result)}</td></tr>`)
    .join('');
  const table = (head: string[], body: string): string =>
    body === '' ? `<p>${esc(t('nothing', lang))}</p>` : `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${body}</table>`;
  const body = `${flash === undefined ? '' : `<p class="flash${flash.ok ? '' : ' err'}" role="status">${esc(flash.message)}</p>`}
${renderEdgeNote(view.edge, lang)}
<p><b>${esc(t('canonical', lang))}:</b> ${canonicalId === undefined ? esc(t('none', lang)) : `${esc(canonicalId)} <span class="ev">${esc(view.canonical?.url ?? '')}</span>`}
${view.canonical === undefined ? '' : `<br><span class="ev">${esc(reasonText(view.canonical.reason, lang))} (${esc(t('since', lang))} ${esc(view.canonical.since)})</span>`}</p>
<p>${can.has('check') ? actionForm(csrf, 'check', {}, t('runCheck', lang)) : ''} ${can.has('publish') ? actionForm(csrf, 'publish', {}, t('runPublish', lang)) : ''}</p>
<h2>${esc(t('mirrors', lang))}</h2>
${rows === '' && origin === '' ? `<p>${esc(t('noData', lang))}</p>` : `<table><tr><th>${esc(t('mirrors', lang))}</th><th>${esc(t('state', lang))}</th><th>${esc(t('vantages', lang))}</th><th>${esc(t('evidence', lang))}</th><th>${esc(t('latency', lang))}</th><th>${esc(t('actions', lang))}</th></tr>${rows}${origin === '' ? '' : `<tr><th colspan="6">${esc(t('origin', lang))}</th></tr>${origin}`}</table>`}
<h2>${esc(t('held', lang))}</h2>
${view.held.length === 0 ? `<p>${esc(t('heldNone', lang))}</p>` : view.held.map((p) => heldPost(p, lang, csrf, can)).join('\n')}
<h2>${esc(t('publishes', lang))}</h2>
${table([t('time', lang), t('trigger', lang), t('version', lang), 'CID', t('outcome', lang), t('targets', lang)], publishes)}
<h2>${esc(t('alerts', lang))}</h2>
${table([t('time', lang), t('channel', lang), t('subject', lang), t('outcome', lang)], alerts)}
<h2>${esc(t('history', lang))}</h2>
${table([t('time', lang), t('who', lang), t('actions', lang), t('outcome', lang)], history)}`;
  const nav = `<span class="ev">${esc(who)}</span> <form class="i" method="post" action="/_ferry/logout">${hidden(csrf, {})}<button>${esc(t('signOut', lang))}</button></form>`;
  return shell(lang, t('title', lang), body, nav);
}

export interface PublicStatus {
  generatedAt: string;
  canonical: { id: string; url?: string } | null;
  mirrors: Array<{ id: string; url?: string; state: Verdict; since: string }>;
  lastPublish: { version: number; at: string } | null;
}

export function renderStatus(status: PublicStatus, lang: Lang): string {
  const rows = status.mirrors
    .map(
      (m) =>
        `<tr><td>${m.url === undefined ? esc(m.id) : `<a href="${esc(m.url)}" rel="nofollow">${esc(m.url)}</a>`}</td><td>${badge(m.state, lang)}</td><td class="ev">${esc(t('since', lang))} ${esc(m.since)}</td></tr>`,
    )
    .join('');
  const body = `<p>${esc(t('statusIntro', lang))}</p>
${rows === '' ? `<p>${esc(t('noData', lang))}</p>` : `<table><tr><th>${esc(t('address', lang))}</th><th>${esc(t('state', lang))}</th><th></th></tr>${rows}</table>`}
<p class="ev">${esc(t('lastPublish', lang))}: ${status.lastPublish === null ? esc(t('none', lang)) : `${t('version', lang)} ${status.lastPublish.version}, ${esc(status.lastPublish.at)}`}</p>`;
  return shell(lang, t('statusTitle', lang), body);
}

/** What /_ferry/status.json and the public page show: states only, no evidence, nothing secret. */
export function toPublicStatus(view: DashboardView, generatedAt: string): PublicStatus {
  const last = view.publishes.find((p) => p.version !== undefined && p.outcome !== 'failed');
  return {
    generatedAt,
    canonical:
      view.canonical?.id === undefined
        ? null
        : { id: view.canonical.id, ...(view.canonical.url === undefined ? {} : { url: view.canonical.url }) },
    mirrors: view.mirrors.map((m) => ({ id: m.id, ...(m.url === undefined ? {} : { url: m.url }), state: m.state, since: m.since })),
    lastPublish: last?.version === undefined ? null : { version: last.version, at: last.ended ?? last.started },
  };
}
