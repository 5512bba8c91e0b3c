// The snapshot's one stylesheet (/style.css) and its icon (/favicon.svg): readable on a phone, system fonts only (with the
// common Chinese fonts of each platform), no external resources, light and dark.

export const STYLE_CSS = `:root {
  color-scheme: light dark;
  --fg: #1d1d1f;
  --muted: #5f6368;
  --bg: #fdfdfc;
  --line: #dcdcd8;
  --link: #0b57d0;
  --visited: #6a3aa2;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fg: #e8e6e3;
    --muted: #a5a29c;
    --bg: #181a1b;
    --line: #3a3d3f;
    --link: #8ab4f8;
    --visited: #c58af9;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0 auto;
  max-width: 42rem;
  padding: 0 1rem 2rem;
  color: var(--fg);
  background: var(--bg);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif;
  font-size: 1.0625rem;
  line-height: 1.7;
  overflow-wrap: anywhere;
}
a { color: var(--link); }
a:visited { color: var(--visited); }
img, video, iframe, object, embed, svg { max-width: 100%; height: auto; }
pre { overflow-x: auto; white-space: pre-wrap; }
table { display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; }
td, th { border: 1px solid var(--line); padding: .25rem .5rem; }
blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 3px solid var(--line); color: var(--muted); }
h1, h2, h3 { line-height: 1.3; }
.site-header { padding: 1rem 0 .5rem; border-bottom: 1px solid var(--line); }
.site-title { font-size: 1.25rem; font-weight: 700; text-decoration: none; color: var(--fg); }
.site-title:visited { color: var(--fg); }
.site-nav ul, .labels, .pager, .post-nav { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.meta, .date, .count { color: var(--muted); font-size: .9rem; }
.post-list { list-style: none; padding: 0; }
.post-list > li { margin: 0 0 1.5rem; }
.post-list h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
.excerpt { margin: .25rem 0 0; }
.labels a { font-size: .9rem; }
.content { margin: 1.5rem 0; }
.post-nav { justify-content: space-between; border-top: 1px solid var(--line); padding-top: 1rem; }
.mirror-list { padding-left: 1.25rem; }
.mirror-list li { margin: .5rem 0; }
.note { padding: .75rem 1rem; border: 1px solid var(--line); border-radius: .5rem; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace; font-size: .9em; }
.site-footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .9rem; }
`;

/** A small boat on water: the site icon, so browsers do not ask every mirror for /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#0b57d0"/>
<path d="M6 19h20l-3 5H9z" fill="#fff"/>
<path d="M15 6v11h-7z" fill="#fff"/>
<path d="M17 9v8h6z" fill="#fff"/>
</svg>
`;
