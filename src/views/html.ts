// HTML from strings that came from strangers: EXIF fields, post text, URLs, bank labels. Views build
// markup only with the markup`` tag, which escapes every interpolated value unless it is already
// SafeHtml (the output of another markup`` template). Forgetting to escape then takes an explicit
// `unsafeRaw(...)`, which only the layout uses (for its own stylesheet).
//
// Why not call the tag `html`: Prettier reformats html-tagged templates as HTML, moving whitespace
// that matters here (the stylesheet must match its CSP hash byte for byte; post text is shown with
// `white-space: pre-wrap`). Under another name the templates emit exactly what they say.

/** Markup that is already safe to emit: made by markup`` (or unsafeRaw, for constants only). */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text for an element's content or a quoted attribute value. Quotes are escaped too, so the same
 * function is safe in both places (attributes are always double-quoted in our templates).
 */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** What a template accepts: nothing (skipped), text and numbers (escaped), markup, or lists of them. */
export type Html = SafeHtml | string | number | null | undefined | false | readonly Html[];

function render(value: Html): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly Html[]).map(render).join('');
  return escapeHtml(value as string | number);
}

/** Tagged template: `markup\`<p>${untrusted}</p>\`` escapes `untrusted`; nested markup`` is kept as is. */
export function markup(strings: TemplateStringsArray, ...values: Html[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Markup written by us, never by a stranger (the stylesheet). */
export function unsafeRaw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

/**
 * A URL that may go into href: http(s) only, parsed (so `java\tscript:`, ` javascript:` and
 * `JAVASCRIPT:` are all refused) and re-serialized. Null for anything else: show it as text.
 */
export function safeUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

/**
 * A link to somewhere outside firstseen, shown with its address unless a label is given. Unsafe
 * URLs become plain text. `noreferrer` keeps a report's address (and so a check id) from leaking to
 * the sites a fact-checker clicks through to.
 */
export function externalLink(raw: string | null | undefined, label?: Html): SafeHtml {
  const href = safeUrl(raw);
  const text = label ?? raw ?? '';
  if (!href) return markup`<span class="url">${text}</span>`;
  // A labelled link prints its address after the label (print stylesheet); a bare one is its address.
  const cls = label === undefined ? 'url' : 'url labelled';
  return markup`<a class="${cls}" href="${href}" rel="noopener noreferrer nofollow">${text}</a>`;
}
