// Why a mirror is canonical, in the dashboard's language. The health checker records the reason in
// English (src/core/health/choose-canonical.ts, a maintainer's forced rotation, the Worker's signed
// manifest), parts joined by '; '; here each known part is said in Chinese. A part not known stays
// as written, so nothing is ever hidden.
import { isVerdict } from '../../core/health/observation.ts';
import { VERDICT_TEXT, type Lang } from './text.ts';

const state = (s: string): string => (isVerdict(s) ? VERDICT_TEXT[s].zh : s);

const ID = "'([^']+)'";
const ST = '(healthy|degraded|unreachable|blocked|compromised)';
const RULES: ReadonlyArray<[RegExp, (...m: string[]) => string]> = [
  [/^no canonical yet$/, () => '尚无主地址'],
  [new RegExp(`^${ID} is no longer in the mirror list$`), (id) => `「${id}」已不在镜像列表中`],
  [new RegExp(`^${ID} was paused by a maintainer$`), (id) => `「${id}」已被维护者暂停`],
  [new RegExp(`^${ID} has no address readers can open$`), (id) => `「${id}」没有读者能打开的地址`],
  [new RegExp(`^${ID} is ${ST} \\(priority (\\d+)\\)$`), (id, s, p) => `「${id}」${state(s ?? '')}（优先级 ${p}）`],
  [new RegExp(`^${ID} is ${ST}$`), (id, s) => `「${id}」${state(s ?? '')}`],
  [new RegExp(`^${ID} is unreachable, but no other mirror is better$`), (id) => `「${id}」无法访问，但没有更好的镜像`],
  [
    new RegExp(`^no healthy mirror, ${ID} is the best left \\(${ST}\\)$`),
    (id, s) => `没有正常的镜像，「${id}」是剩下最好的（${state(s ?? '')}）`,
  ],
  [/^no mirror may be canonical \(.*\)$/, () => '没有镜像可作主地址（都被篡改、被封锁、已暂停或没有地址）'],
  [new RegExp(`^${ID} has been healthy since (\\S+)$`), (id, since) => `「${id}」自 ${since} 起正常`],
  [
    new RegExp(`^${ID} \\(priority (\\d+)\\) has been ${ST} since (\\S+)$`),
    (id, p, s, since) => `「${id}」（优先级 ${p}）自 ${since} 起${state(s ?? '')}`,
  ],
  [new RegExp(`^back to it from ${ID}$`), (id) => `从「${id}」换回`],
  [/^forced by (.+)$/, (who) => `由 ${who} 指定`],
  [/^the signed manifest \(version (\d+)\) names it$/, (v) => `已签名的清单（版本 ${v}）指定了它`],
];

export function reasonText(reason: string, lang: Lang): string {
  if (lang === 'en') return reason;
  return reason
    .split('; ')
    .map((part) => {
      for (const [re, say] of RULES) {
        const m = re.exec(part);
        if (m !== null) return say(...m.slice(1).map((x) => x ?? ''));
      }
      return part;
    })
    .join('；');
}
