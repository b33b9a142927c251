// The forensic views section from a hostile report: only firstseen's own view routes become images, and
// every string is escaped.
import t from 'tap';
import { markup } from '../../src/views/html.js';
import {
  forensicViewsSection,
  ASK_LABEL,
  ASKED_NOTICE,
  ELA_EXPLANATION,
} from '../../src/views/forensic-views.js';

const HOSTILE = `javascript:alert(1)//"'><script>alert(1)</script>`;
const PICTURE = markup`<figure class="thumb">picture</figure>`;

t.test('views from a hostile report', async (t) => {
  const html = String(
    forensicViewsSection(
      {
        ela: { url: HOSTILE, quality: 90, gain: 2 },
        noise: { url: '/v1/checks/chk_a/media/0/views/noise', gain: 1 },
      },
      PICTURE,
    ),
  );
  t.notMatch(html, /<script/);
  t.notMatch(html, /javascript:/, 'a URL that is not a view route is not shown');
  t.notMatch(html, ELA_EXPLANATION, 'nor its figure');
  t.match(html, '<img src="/v1/checks/chk_a/media/0/views/noise"');
  t.match(html, 'Inconclusive on their own');
  t.match(html, '<figure class="thumb">picture</figure>', 'the picture beside the views');

  const skipped = String(forensicViewsSection({ skipped: { code: 'too_small', reason: HOSTILE } }, PICTURE));
  t.notMatch(skipped, /<script/);
  t.match(skipped, '&lt;script&gt;', 'the reason, escaped');
  t.equal(forensicViewsSection(undefined, PICTURE), '', 'no views asked: no section');
});

t.test('views to ask for: a button, or that they are being made', async (t) => {
  const action = '/checks/chk_a/media/0/views';
  const offered = String(forensicViewsSection(undefined, PICTURE, { action, pending: false }));
  t.match(
    offered,
    `<form method="post" action="${action}"><button type="submit">${ASK_LABEL}</button></form>`,
  );
  t.notMatch(offered, /<img/, 'no picture before there are views');
  const pending = String(forensicViewsSection(undefined, PICTURE, { action, pending: true }));
  t.match(pending, ASKED_NOTICE);
  t.notMatch(pending, /<form/, 'asked once');
  const changed = { skipped: { code: 'file_changed' as const, reason: 'other bytes' } };
  t.match(String(forensicViewsSection(changed, PICTURE, { action, pending: false })), 'Try again');
  const small = { skipped: { code: 'too_small' as const, reason: 'tiny' } };
  t.notMatch(
    String(forensicViewsSection(small, PICTURE, { action, pending: false })),
    /<form/,
    'nothing to ask again for a picture the views say nothing of',
  );
});
