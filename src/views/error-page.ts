// Errors on the HTML routes, as pages: a person reads them, in the same frame as the rest.
import { markup } from './html.js';
import { layout } from './layout.js';

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'A key is needed',
  403: 'Not allowed',
  404: 'Not found',
  429: 'Too many requests',
  503: 'Unavailable for a moment',
};

const HINTS: Record<number, string> = {
  401: 'Sign in with any user name and your firstseen API key as the password.',
  404: 'The check does not exist, or it belongs to another organization.',
};

export interface ErrorPageOptions {
  status: number;
  code: string;
  message: string;
  requestId?: string;
}

export function renderErrorPage({ status, code, message, requestId }: ErrorPageOptions): string {
  const title = TITLES[status] ?? (status >= 500 ? 'Something went wrong' : 'That did not work');
  const hint = HINTS[status] ? markup`<p>${HINTS[status]}</p>` : '';
  const id = requestId
    ? markup`<p class="muted">Request id <code>${requestId}</code>: quote it when reporting the problem.</p>`
    : '';
  return layout({
    title,
    main: markup`<h1>${title}</h1>
<div class="notice error" role="alert"><p>${message} <span class="muted">(<code>${code}</code>, HTTP ${status})</span></p></div>
${hint}
${id}
<p><a href="/">Back to the form</a></p>`,
  });
}
