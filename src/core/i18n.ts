// Interface text for the snapshot's pages. Readers are in China and abroad, so every label is
// bilingual (Chinese first). Plain data: no Intl, so output never depends on the machine's locale.

export interface Bilingual {
  zh: string;
  en: string;
}

export const UI = {
  home: { zh: '首页', en: 'Home' },
  archive: { zh: '归档', en: 'Archive' },
  about: { zh: '关于', en: 'About' },
  mirrors: { zh: '镜像', en: 'Mirrors' },
  labels: { zh: '标签', en: 'Labels' },
  label: { zh: '标签', en: 'Label' },
  published: { zh: '发布于', en: 'Published' },
  updated: { zh: '更新于', en: 'Updated' },
  authors: { zh: '作者', en: 'By' },
  newer: { zh: '较新', en: 'Newer' },
  older: { zh: '较旧', en: 'Older' },
  newerPost: { zh: '较新文章', en: 'Newer post' },
  olderPost: { zh: '较旧文章', en: 'Older post' },
  page: { zh: '页', en: 'Page' },
  noPosts: { zh: '还没有文章。', en: 'No posts yet.' },
  posts: { zh: '篇', en: 'posts' },
  feeds: { zh: '订阅', en: 'Feeds' },
  footerMirrors: {
    zh: '如果本站无法访问，请查看镜像列表',
    en: 'If this site is blocked, use a mirror',
  },
  mirrorsIntro: {
    zh: '以下每个地址都提供本站的同一份内容。请收藏其中几个：某个地址被封锁时，换一个即可继续阅读。',
    en: 'Each address below serves the same copy of this site. Bookmark several of them: when one is blocked, switch to another and keep reading.',
  },
  mirrorsVerify: {
    zh: '每份副本都由我们签名；镜像若被篡改，将被停用。',
    en: 'Every copy is signed by us; a mirror that alters it is taken out of use.',
  },
  mirrorId: { zh: '名称', en: 'Name' },
  mirrorUrl: { zh: '地址', en: 'Address' },
  mirrorKind: { zh: '类型', en: 'Kind' },
  canonicalAddress: { zh: '本站主地址', en: 'Main address' },
  qrHelp: { zh: '用手机扫描即可打开主地址。', en: 'Scan with a phone to open the main address.' },
  onion: { zh: 'Tor 洋葱地址', en: 'Tor onion address' },
  onionHelp: {
    zh: '用 Tor 浏览器打开此地址：无需镜像，也很难被封锁。',
    en: 'Open this address in Tor Browser: it needs no mirror and is hard to block.',
  },
  noMirrors: { zh: '暂无其他镜像。', en: 'No other mirrors yet.' },
  ipfs: { zh: 'IPFS 地址', en: 'IPFS address' },
  ipfsHelp: {
    zh: '支持 IPFS 的浏览器可直接打开 ipfs:// 地址；也可以在任何 IPFS 网关后加上 /ipfs/ 路径访问。',
    en: 'Browsers with IPFS support open the ipfs:// address; any IPFS gateway serves the /ipfs/ path.',
  },
  notFound: { zh: '找不到该页面', en: 'Page not found' },
  notFoundHelp: {
    zh: '这个地址没有内容。请从首页或归档查找，或换一个镜像。',
    en: 'Nothing lives at this address. Try the home page or the archive, or another mirror.',
  },
  otherMirrors: { zh: '本站的其他镜像', en: 'This site on other mirrors' },
  offline: { zh: '暂时无法连接', en: 'No connection for now' },
  offlineHelp: {
    zh: '这个页面您还没有读过，而本站的地址和镜像现在都无法连接。您读过的页面仍可离线阅读。请稍后再试，或从下面任何一个地址进入。',
    en: 'You have not read this page yet, and neither this address nor any mirror answers right now. Pages you have read still open offline. Try again later, or come in through any of the addresses below.',
  },
} as const satisfies Record<string, Bilingual>;

/** "首页 Home": Chinese first, then English. */
export function bilingual(text: Bilingual): string {
  return `${text.zh} ${text.en}`;
}

const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** Month heading for "2016-06": { zh: '2016年6月', en: 'June 2016' }. */
export function monthName(year: string, month: string): Bilingual {
  const index = Number(month) - 1;
  const en = MONTHS_EN[index] ?? month;
  return { zh: `${year}年${Number(month)}月`, en: `${en} ${year}` };
}
