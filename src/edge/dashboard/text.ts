// The dashboard's words, in Chinese and English (one language per page, chosen by the
// Accept-Language header or the switch, kept in a cookie). Plain data.
import type { Verdict } from '../../core/health/observation.ts';

export type Lang = 'zh' | 'en';

export const TEXT = {
  title: { zh: 'Ferry 维护面板', en: 'Ferry dashboard' },
  statusTitle: { zh: '镜像状态', en: 'Mirror status' },
  signIn: { zh: '登录', en: 'Sign in' },
  signOut: { zh: '退出', en: 'Sign out' },
  token: { zh: '管理令牌', en: 'Admin token' },
  wrongToken: { zh: '令牌不正确。', en: 'That token is not right.' },
  tooMany: { zh: '尝试次数过多，请稍后再试。', en: 'Too many attempts; try again later.' },
  mirrors: { zh: '镜像', en: 'Mirrors' },
  origin: { zh: '源站', en: 'Origin' },
  canonical: { zh: '主地址', en: 'Canonical' },
  none: { zh: '无', en: 'none' },
  since: { zh: '自', en: 'since' },
  state: { zh: '状态', en: 'State' },
  address: { zh: '地址', en: 'Address' },
  vantages: { zh: '各观测点', en: 'By vantage point' },
  evidence: { zh: '最近证据', en: 'Last evidence' },
  latency: { zh: '延迟', en: 'Latency' },
  actions: { zh: '操作', en: 'Actions' },
  pause: { zh: '暂停', en: 'Pause' },
  resume: { zh: '恢复', en: 'Resume' },
  paused: { zh: '已暂停', en: 'paused' },
  makeCanonical: { zh: '设为主地址', en: 'Make canonical' },
  clear: { zh: '已修复，清除', en: 'Fixed: clear' },
  runCheck: { zh: '立即检查', en: 'Run a check now' },
  runPublish: { zh: '立即发布', en: 'Publish now' },
  publishes: { zh: '最近发布', en: 'Last publishes' },
  version: { zh: '版本', en: 'Version' },
  outcome: { zh: '结果', en: 'Outcome' },
  time: { zh: '时间', en: 'Time' },
  trigger: { zh: '起因', en: 'Trigger' },
  channel: { zh: '渠道', en: 'Channel' },
  subject: { zh: '主题', en: 'Subject' },
  targets: { zh: '目标', en: 'Targets' },
  held: { zh: '待审文章', en: 'Posts held back' },
  heldNone: { zh: '没有待审文章。', en: 'Nothing is held back.' },
  flagged: { zh: '原因', en: 'Flagged' },
  approve: { zh: '批准', en: 'Approve' },
  reject: { zh: '拒绝', en: 'Reject' },
  before: { zh: '已发布版本', en: 'Published version' },
  after: { zh: '待审版本', en: 'Held-back version' },
  alerts: { zh: '最近警报', en: 'Recent alerts' },
  history: { zh: '操作记录', en: 'Actions taken' },
  nothing: { zh: '暂无。', en: 'None yet.' },
  who: { zh: '操作者', en: 'Who' },
  statusIntro: {
    zh: '以下是各镜像目前的状态。若您所用的地址无法打开，请换用一个“正常”的地址。',
    en: 'How each mirror is doing now. If the address you use does not open, switch to one marked healthy.',
  },
  lastPublish: { zh: '最近发布', en: 'Last publish' },
  noData: { zh: '尚未检查。', en: 'Not checked yet.' },
} as const;

export const VERDICT_TEXT: Record<Verdict, { zh: string; en: string }> = {
  healthy: { zh: '正常', en: 'healthy' },
  degraded: { zh: '缓慢', en: 'degraded' },
  unreachable: { zh: '无法访问', en: 'unreachable' },
  blocked: { zh: '被封锁', en: 'blocked' },
  compromised: { zh: '被篡改', en: 'compromised' },
};

export function t(key: keyof typeof TEXT, lang: Lang): string {
  return TEXT[key][lang];
}

/** The language a request asks for: the switch's cookie, else the first of Accept-Language we speak. */
export function chooseLang(cookie: string | undefined, acceptLanguage: string | undefined): Lang {
  if (cookie === 'zh' || cookie === 'en') return cookie;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag, q: q === undefined ? 1 : Number(q.slice(2)) || 0 };
    })
    .filter((x) => x.tag !== '' && x.q > 0)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh';
}
