// The submission form at `/`: one box for a link or pasted text, or a file to upload, posted as an
// ordinary form (no script), answered with a redirect to the check's page.
import { markup } from './html.js';
import { layout } from './layout.js';

export interface SubmitPageOptions {
  /** What the user typed, kept when the form comes back with an error. */
  value?: string | undefined;
  error?: string | undefined;
  maxTargets: number;
  /** The largest file the form accepts (FETCH_MAX_BYTES, as for downloads). */
  maxFileBytes: number;
}

/** The box that asks for the forensic views with the check (the API's `views: true`). */
export const VIEWS_BOX_LABEL = 'Also make error level (ELA) and noise views of the images';

export const megabytes = (bytes: number) => Math.floor(bytes / 1e5) / 10;

export function renderSubmitPage({ value, error, maxTargets, maxFileBytes }: SubmitPageOptions): string {
  const alert = error
    ? markup`<div class="notice error" role="alert" id="input-error"><p>${error}</p></div>`
    : '';
  const describedBy = error ? 'input-hint input-error' : 'input-hint';
  const invalid = error ? markup` aria-invalid="true"` : '';
  return layout({
    title: error ? 'Check an image: error' : 'Check an image',
    main: markup`<h1>Where does this image come from?</h1>
<p class="lede">firstseen follows the link to the image, reads its metadata and Content Credentials, and looks for
earlier copies of the same picture. The report lays out the evidence with what each date rests on.</p>
${alert}
<form class="form" method="post" action="/" accept-charset="utf-8" enctype="multipart/form-data">
<label for="input">Link, or text with links</label>
<p class="hint" id="input-hint">A post on X, Bluesky, Mastodon, Telegram or Reddit, a news article, an image URL,
or pasted text with up to ${maxTargets} links.</p>
<textarea id="input" name="input" spellcheck="false" autofocus aria-describedby="${describedBy}"${invalid}>${value ?? ''}</textarea>
<label for="file">Or an image or video file</label>
<p class="hint" id="file-hint">Up to ${megabytes(maxFileBytes)} MB, from your computer or phone.</p>
<input type="file" id="file" name="file" accept="image/*,video/*" aria-describedby="file-hint">
<p><label><input type="checkbox" name="views" value="true"> ${VIEWS_BOX_LABEL}</label></p>
<p><button type="submit">Check</button></p>
</form>`,
  });
}
