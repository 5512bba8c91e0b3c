// What the Worker's dashboard says above its tables: whose picture it is (ferry serve's pushed
// view and how old, stale past three of its health rounds, or none yet), what a Worker cannot do,
// and the maintainers' requests that wait for ferry serve. Pure: HTML from the view's note.
import { escapeHtml as esc } from '../../core/render-html.ts';
import type { EdgeViewNote } from '../../ports/dashboard.ts';
import type { Lang } from './text.ts';

function age(seconds: number, lang: Lang): string {
  const minutes = Math.floor(seconds / 60);
  if (lang === 'zh') return minutes < 1 ? '不到一分钟前' : `${minutes} 分钟前`;
  return minutes < 1 ? 'less than a minute ago' : minutes === 1 ? '1 minute ago' : `${minutes} minutes ago`;
}

const WORDS = {
  from: { zh: (a: string) => `来自 ferry serve，${a}`, en: (a: string) => `From ferry serve, ${a}` },
  stale: {
    zh: '这份视图已超过 ferry serve 三轮检查的时间：ferry serve 可能已停止，或无法连接本 Worker。',
    en: 'This view is older than three of ferry serve’s health rounds: ferry serve may be down or unable to reach this Worker.',
  },
  none: {
    zh: 'ferry serve 尚未推送它的视图：以下只是本 Worker 的定时探测和它自己看到的情况。',
    en: 'ferry serve has not pushed its view here yet: what follows is this Worker’s own cron probes and pool.',
  },
  ownVantage: {
    zh: '“worker” 观测点是本 Worker 自己的定时探测。',
    en: 'The “worker” vantage point is this Worker’s own cron.',
  },
  edge: {
    zh: '在边缘节点上：Worker 没有签名密钥，无法发布、批准文章或立即检查；“设为主地址”会记录为请求，由 ferry serve 在下一轮检查后执行。',
    en: 'At the edge: a Worker holds no signing key, so it cannot publish, approve posts or run a check; “Make canonical” is recorded as a request that ferry serve applies after its next health round.',
  },
  waiting: { zh: '等待 ferry serve 执行的请求', en: 'Waiting for ferry serve' },
  rotate: { zh: (m: string) => `将 ${m} 设为主地址`, en: (m: string) => `make ${m} the canonical` },
} as const;

export function renderEdgeNote(note: EdgeViewNote | undefined, lang: Lang): string {
  if (note === undefined) return '';
  const pushed = note.pushed;
  const head =
    pushed === undefined
      ? `<p class="flash err" id="pushed-view">${esc(WORDS.none[lang])}</p>`
      : `<p class="flash${pushed.stale ? ' err' : ''}" id="pushed-view"><b>${esc(WORDS.from[lang](age(pushed.ageSeconds, lang)))}</b> <span class="ev">(${esc(pushed.receivedAt)})</span>${pushed.stale ? `<br>${esc(WORDS.stale[lang])}` : ''}<br><span class="ev">${esc(WORDS.ownVantage[lang])}</span></p>`;
  const requests =
    note.requests.length === 0
      ? ''
      : `<p id="edge-requests"><b>${esc(WORDS.waiting[lang])}:</b> ${note.requests
          .map((r) => `${esc(WORDS.rotate[lang](r.mirror))} <span class="ev">(${esc(r.who)}, ${esc(r.at)})</span>`)
          .join('; ')}</p>`;
  return `${head}\n<p class="ev">${esc(WORDS.edge[lang])}</p>\n${requests}`;
}
