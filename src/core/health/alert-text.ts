// The words of an alert, Chinese first, then English: a subject line and a plain-text body naming
// each mirror (or the origin), its state, since when, the evidence, and the canonical link now.
// Pure and deterministic (no Intl, no clock: times come from the message). Evidence messages are
// the probes' English words; they are cut short and stripped of control characters, since they may
// come from another vantage point's report.
import { ORIGIN_TARGET, type Evidence, type Verdict } from './observation.ts';
import type { AlertItem, AlertMessage } from './alert-plan.ts';

export interface AlertText {
  /** One line, at most MAX_SUBJECT characters. */
  subject: string;
  /** Plain text: the Chinese part, then the English part. */
  text: string;
}

export const MAX_SUBJECT = 200;
/** Items told in full; the rest are counted. */
export const MAX_ITEMS_IN_TEXT = 20;
const MAX_EVIDENCE_TEXT = 300;

interface Words {
  state: Readonly<Record<Verdict, string>>;
  mirror: (id: string) => string;
  origin: string;
  still: string;
  recovered: string;
  canonicalMoved: (to: string) => string;
  noCanonical: string;
  more: (n: number) => string;
  title: string;
  since: (at: string, lasting: string) => string;
  problemSince: (at: string, lasting: string) => string;
  wasBefore: (s: string) => string;
  blockedIn: (countries: string) => string;
  evidence: string;
  noLongerChecked: string;
  nowIs: (s: string) => string;
  canonicalNow: string;
  canonicalFrom: (from: string) => string;
  canonicalNever: string;
  because: string;
  duration: (minutes: number) => string;
  advice: Partial<Readonly<Record<Verdict, string>>>;
  originAdvice: string;
}

const ZH: Words = {
  state: { healthy: '正常', degraded: '性能下降', unreachable: '无法访问', blocked: '被封锁', compromised: '已被篡改' },
  mirror: (id) => `镜像 ${id}`,
  origin: '源站',
  still: '仍然',
  recovered: '已恢复',
  canonicalMoved: (to) => `主地址改为 ${to}`,
  noCanonical: '没有可用的主地址',
  more: (n) => `另有 ${n} 项未列出。`,
  title: 'Ferry 警报',
  since: (at, lasting) => `自 ${at} 起（${lasting}）`,
  problemSince: (at, lasting) => `问题始于 ${at}（已持续 ${lasting}）`,
  wasBefore: (s) => `此前：${s}`,
  blockedIn: (c) => `封锁地区：${c}`,
  evidence: '证据（探测原文）：',
  noLongerChecked: '已不在镜像列表中，不再检查',
  nowIs: (s) => `现在：${s}`,
  canonicalNow: '当前主地址（canonical）：',
  canonicalFrom: (from) => `原主地址：${from}`,
  canonicalNever: '（首次告知）',
  because: '原因（原文）：',
  duration: (m) => (m < 60 ? `${m} 分钟` : m < 2880 ? `${Math.floor(m / 60)} 小时 ${m % 60} 分钟` : `${Math.floor(m / 1440)} 天`),
  advice: {
    compromised: '读者已不会被引向此镜像；在维护者清除该状态之前，它将一直保持“已被篡改”。请检查该镜像的服务器。',
    blocked: '读者已不会被引向此镜像；可考虑新增一个镜像。',
  },
  originAdvice: '源站永远不会成为主地址。请检查博客账号与源站内容。',
};

const EN: Words = {
  state: { healthy: 'healthy', degraded: 'degraded', unreachable: 'unreachable', blocked: 'blocked', compromised: 'compromised' },
  mirror: (id) => `mirror ${id}`,
  origin: 'the origin',
  still: 'still',
  recovered: 'recovered',
  canonicalMoved: (to) => `canonical moved to ${to}`,
  noCanonical: 'no mirror may be canonical',
  more: (n) => `${n} more not listed.`,
  title: 'Ferry alert',
  since: (at, lasting) => `since ${at} (${lasting})`,
  problemSince: (at, lasting) => `problem began ${at} (${lasting} ago)`,
  wasBefore: (s) => `before: ${s}`,
  blockedIn: (c) => `blocked in: ${c}`,
  evidence: 'Evidence:',
  noLongerChecked: 'no longer in the mirror list, not checked any more',
  nowIs: (s) => `now: ${s}`,
  canonicalNow: 'Canonical now: ',
  canonicalFrom: (from) => `before: ${from}`,
  canonicalNever: '(first told)',
  because: 'Why: ',
  duration: (m) => (m < 60 ? `${m} min` : m < 2880 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 1440)} days`),
  advice: {
    compromised: 'Readers are no longer sent to it; it stays compromised until a maintainer clears it. Inspect its server.',
    blocked: 'Readers are no longer sent to it; consider adding a mirror.',
  },
  originAdvice: 'The origin is never the canonical link. Check the blog account and its content.',
};

const LAYER_ZH: Readonly<Record<string, string>> = {
  dns: 'DNS',
  tcp: 'TCP',
  tls: 'TLS',
  http: 'HTTP',
  integrity: '完整性',
  content: '内容',
  blockpage: '封锁页面',
  control: '对照',
  origin: '源站',
  ooni: 'OONI',
};

export function renderAlert(message: AlertMessage): AlertText {
  const first = message.items[0];
  const more = message.items.length - 1;
  const headline = (w: Words): string => (first === undefined ? w.title : headlineOf(first, w));
  const subject = clip(oneLine(`[Ferry] ${headline(ZH)} / ${headline(EN)}${more > 0 ? ` (+${more})` : ''}`), MAX_SUBJECT);
  const text = [section(message, ZH, true), '——— English ———', section(message, EN, false)].join('\n\n');
  return { subject, text };
}

function headlineOf(item: AlertItem, w: Words): string {
  const who = item.target === undefined ? '' : name(item.target, w);
  const sep = w === ZH ? '：' : ': ';
  switch (item.kind) {
    case 'problem':
      return `${who}${sep}${stateWords(item, w)}`;
    case 'repeat':
      return `${who}${sep}${w.still} ${stateWords(item, w)}`;
    case 'recovery':
      return `${who}${sep}${item.state === undefined ? w.noLongerChecked : w.recovered}`;
    case 'canonical':
      return item.to === null || item.to === undefined ? w.noCanonical : w.canonicalMoved(item.to);
  }
}

function section(message: AlertMessage, w: Words, zh: boolean): string {
  const lines: string[] = [`${w.title} · ${time(message.at)}`, ''];
  const shown = message.items.slice(0, MAX_ITEMS_IN_TEXT);
  shown.forEach((item, i) => {
    lines.push(`${i + 1}. ${headlineOf(item, w)}${item.url === undefined ? '' : ` <${item.url}>`}`);
    for (const line of details(item, message.at, w, zh)) lines.push(`   ${line}`);
    lines.push('');
  });
  if (message.items.length > shown.length) lines.push(w.more(message.items.length - shown.length), '');
  const c = message.canonical;
  if (c !== undefined) {
    const who = c.id === null ? w.noCanonical : `${c.id}${c.url === undefined ? '' : ` <${c.url}>`}`;
    lines.push(`${w.canonicalNow}${who}, ${w.since(time(c.since), w.duration(minutesBetween(c.since, message.at)))}`);
  }
  return lines.join('\n').trimEnd();
}

function details(item: AlertItem, at: string, w: Words, zh: boolean): string[] {
  const out: string[] = [];
  const lasting = (from: string): string => w.duration(minutesBetween(from, at));
  if (item.kind === 'canonical') {
    out.push(w.since(time(item.since), lasting(item.since)));
    if (item.from !== undefined) out.push(w.canonicalFrom(item.from ?? w.noCanonical));
    else out.push(w.canonicalNever);
    if (item.reason !== undefined) out.push(`${w.because}${clean(item.reason)}`);
    return out;
  }
  if (item.kind === 'recovery') {
    if (item.state !== undefined) out.push(`${w.nowIs(w.state[item.state])}, ${w.since(time(item.since), lasting(item.since))}`);
    if (item.previous !== undefined) out.push(w.wasBefore(w.state[item.previous]));
    if (item.problemSince !== undefined) out.push(w.problemSince(time(item.problemSince), lasting(item.problemSince)));
  } else {
    out.push(w.since(time(item.since), lasting(item.since)));
    if (item.previous !== undefined) out.push(w.wasBefore(w.state[item.previous]));
    if (item.problemSince !== undefined && item.problemSince !== item.since) {
      out.push(w.problemSince(time(item.problemSince), lasting(item.problemSince)));
    }
    const advice = item.target === ORIGIN_TARGET ? w.originAdvice : item.state === undefined ? undefined : w.advice[item.state];
    if (advice !== undefined) out.push(advice);
  }
  if (item.evidence.length > 0) {
    out.push(w.evidence);
    for (const e of item.evidence) out.push(`- ${evidenceLine(e, zh)}`);
  }
  return out;
}

function stateWords(item: AlertItem, w: Words): string {
  const state = item.state === undefined ? '' : w.state[item.state];
  const where = item.state === 'blocked' && item.blockedIn.length > 0 ? ` (${item.blockedIn.join(', ')})` : '';
  return `${state}${where}`;
}

function name(target: string, w: Words): string {
  return target === ORIGIN_TARGET ? w.origin : w.mirror(target);
}

function evidenceLine(e: Evidence, zh: boolean): string {
  const layer = zh ? (LAYER_ZH[e.layer] ?? e.layer) : e.layer;
  const age =
    e.ageSeconds === undefined ? '' : zh ? `（${Math.round(e.ageSeconds / 60)} 分钟前）` : ` (${Math.round(e.ageSeconds / 60)} min old)`;
  return `[${layer}] ${clean(e.code)}: ${clip(clean(e.message), MAX_EVIDENCE_TEXT)}${age}`;
}

/** "2026-12-07 09:45 UTC" from an ISO time (as given when it does not parse). */
function time(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return clean(iso);
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function minutesBetween(from: string, to: string): number {
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) && d > 0 ? Math.floor(d / 60_000) : 0;
}

/** Control characters (line breaks too) become spaces. */
function clean(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

function oneLine(s: string): string {
  return clean(s).replace(/\s+/g, ' ');
}

/** At most `max` UTF-16 units, not splitting a surrogate pair, with '…' when cut. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  const code = s.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${s.slice(0, end)}…`;
}
