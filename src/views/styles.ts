// The pages' one stylesheet, inline so a page is a single response that works offline and prints.
// The Content-Security-Policy allows exactly this text (by its hash), so no other style, and no
// script at all, can run on a page even if some markup slipped through escaping.
import { createHash } from 'node:crypto';

export const STYLESHEET = `
:root{--ink:#1d2433;--muted:#5b6474;--line:#d9dde5;--soft:#f4f6f9;--accent:#1f4e8c;
--high:#a4161a;--high-bg:#fdecec;--medium:#8a4b00;--medium-bg:#fff4e0;--info:#2b4c7e;--info-bg:#eaf1fb;
--ok:#1d6b3a;--ok-bg:#e8f5ec}
*{box-sizing:border-box}
html{font-size:16px}
body{margin:0;color:var(--ink);background:#fff;font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #f5b400;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.25rem .5rem;z-index:2}
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.site{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:.6rem 1.5rem;border-bottom:1px solid var(--line);background:var(--soft)}
.brand{font-weight:700;letter-spacing:.02em;color:var(--ink);text-decoration:none}
.brand span{color:var(--muted);font-weight:400;margin-left:.5rem}
main{max-width:68rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.75rem;line-height:1.2;margin:.25rem 0 .5rem}
h2{font-size:1.35rem;margin:0 0 .75rem}
h3{font-size:1.05rem;margin:1.75rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
.overview h3{margin-top:0}
p{margin:.4rem 0}
.lede{color:var(--muted);margin-bottom:1.25rem}
.muted,.zone{color:var(--muted)}
td time{white-space:nowrap}
.zone{font-size:.875em}
.url{overflow-wrap:anywhere}
code,.hash{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
.notice{border:1px solid var(--line);border-left:4px solid var(--accent);background:var(--soft);padding:.75rem 1rem;margin:1rem 0}
.notice.error{border-left-color:var(--high);background:var(--high-bg)}
.item{border-top:3px solid var(--ink);padding-top:1rem;margin-top:2rem}
.overview{display:grid;grid-template-columns:minmax(0,20rem) minmax(0,1fr);gap:1.5rem;align-items:start}
figure{margin:0}
.thumb img,.thumb .none{display:block;max-width:100%;height:auto;border:1px solid var(--line);background:var(--soft)}
.thumb .none{display:flex;align-items:center;justify-content:center;text-align:center;min-height:8rem;padding:1rem;color:var(--muted);font-size:.9rem}
figcaption{font-size:.85rem;color:var(--muted);margin-top:.35rem}
.signals{list-style:none;margin:0;padding:0}
.signal{display:flex;gap:.75rem;align-items:baseline;padding:.55rem .75rem;margin-bottom:.4rem;border-left:5px solid;border-radius:2px}
.signal.high{border-color:var(--high);background:var(--high-bg)}
.signal.medium{border-color:var(--medium);background:var(--medium-bg)}
.signal.info{border-color:var(--info);background:var(--info-bg)}
.badge{flex:none;display:inline-block;min-width:4.6rem;text-align:center;font-size:.75rem;font-weight:700;text-transform:uppercase;letter-spacing:.05em;padding:.1rem .4rem;border:1px solid;border-radius:3px;background:#fff}
.high .badge,.badge.high{color:var(--high)}
.medium .badge,.badge.medium{color:var(--medium)}
.info .badge,.badge.info{color:var(--info)}
.badge.ok{color:var(--ok)}
.badge.strong{color:var(--ok)}
.badge.medium-strength{color:var(--medium)}
.badge.weak{color:var(--muted)}
.earliest{margin-top:1.25rem;padding:.75rem 1rem;border:1px solid var(--line)}
.earliest .when{font-size:1.25rem;font-weight:700;margin:.1rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.4rem .6rem .4rem 0;border-bottom:1px solid var(--line)}
thead th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);border-bottom:2px solid var(--line)}
tbody th{font-weight:600;width:14rem}
.matches{display:grid;gap:1rem;list-style:none;margin:0;padding:0}
.match{display:grid;grid-template-columns:12rem 12rem minmax(0,1fr);gap:1rem;padding:1rem;border:1px solid var(--line)}
.match .thumb img,.match .thumb .none{width:12rem}
.keyframes{display:flex;flex-wrap:wrap;gap:.5rem;list-style:none;padding:0;margin:0}
.keyframes .thumb img,.keyframes .thumb .none{width:10rem}
.view-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,20rem));gap:1rem}
.view img{display:block;width:100%;height:auto;image-rendering:pixelated;border:1px solid var(--line);background:#000}
.bank-card{border:1px dashed var(--muted);padding:.75rem;min-height:6rem;font-size:.9rem}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
.post{border:1px solid var(--line);padding:1rem}
.post .text{white-space:pre-wrap;font-size:1.05rem;margin:.5rem 0}
.post .quoted{border-left:3px solid var(--line);padding-left:.75rem;margin-top:.75rem}
.form textarea{width:100%;min-height:8rem;font:inherit;padding:.6rem;border:1px solid var(--muted);border-radius:3px}
.form label{display:block;font-weight:600;margin-bottom:.25rem}
.form .hint{color:var(--muted);margin:.25rem 0 .75rem}
button{font:inherit;font-weight:600;padding:.55rem 1.4rem;color:#fff;background:var(--accent);border:0;border-radius:3px;cursor:pointer}
footer{max-width:68rem;margin:2rem auto;padding:1rem 1.5rem;border-top:1px solid var(--line);color:var(--muted);font-size:.875rem}
@media (max-width:46rem){.overview,.match{grid-template-columns:1fr}tbody th{width:auto}}
@media print{
@page{margin:14mm}
body{font-size:10.5pt}
.site nav,.skip,.no-print,footer nav{display:none}
.site{background:none;padding:0 0 .4rem}
main{max-width:none;padding:0}
a{color:inherit;text-decoration:none}
a.labelled[href^="http"]::after{content:" <" attr(href) ">";font-size:.85em;color:var(--muted);overflow-wrap:anywhere}
.item{break-before:page;border-top:2px solid #000}
.item:first-of-type{break-before:auto}
.signal,.match,.earliest,tr,figure,.post{break-inside:avoid}
h3{break-after:avoid}
.signal,.badge{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
`;

/** The CSP source that allows this stylesheet and nothing else. */
export const STYLESHEET_HASH = `'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`;
