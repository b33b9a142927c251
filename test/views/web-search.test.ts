// The report page's web search lines and its link to the MediaReview draft: what each engine said is
// shown next to the timeline (a failure as a failure, never as "not seen"), and what an engine sent
// stays text.
import t from 'tap';
import type { Check } from '../../schemas/check.js';
import type { MediaItem, WebSearchOutcome } from '../../schemas/report.js';
import { renderCheckPage } from '../../src/views/check-page.js';

function page(outcomes: WebSearchOutcome[]): string {
  const item: MediaItem = {
    index: 0,
    target_index: 0,
    post_index: null,
    source_url: 'https://img.example/a.jpg',
    redirects: [],
    status: 'ok',
    timings_ms: {},
    web_search: outcomes,
    provenance: { earliest: null, timeline: [], matches: [], signals: [] },
  };
  const check: Check = {
    id: 'chk_page',
    status: 'done',
    created_at: '2026-12-05T00:00:00.000Z',
    updated_at: '2026-12-05T00:00:05.000Z',
    targets: [{ input: item.source_url, url: item.source_url }],
    attempts: 1,
    links: { self: '/v1/checks/chk_page', report: '/v1/checks/chk_page/report' },
    report: {
      schema_version: '2',
      check_id: 'chk_page',
      started_at: '2026-12-05T00:00:00.000Z',
      completed_at: '2026-12-05T00:00:05.000Z',
      targets: [],
      posts: [],
      media: [item],
    },
  };
  return renderCheckPage(check);
}

const outcome = (o: Partial<WebSearchOutcome>): WebSearchOutcome => ({
  engine: 'tineye',
  status: 'found',
  sightings: 4,
  total: 214,
  cached: false,
  message: null,
  ...o,
});

t.test('the page links to the MediaReview draft', async (t) => {
  t.match(page([]), '<a href="/v1/checks/chk_page/mediareview">MediaReview draft (JSON-LD)</a>');
  t.notMatch(page([]), 'class="web-search"', 'no engine configured: no line');
});

t.test('what the engine said, next to the timeline', async (t) => {
  t.match(
    page([outcome({})]),
    'TinEye has seen it on the web (214 pages): its 4 earliest crawls are in the timeline.',
  );
  t.match(
    page([outcome({ status: 'not_found', sightings: 0, total: 0 })]),
    'TinEye has not seen it on the web.',
  );
  const failed = page([
    outcome({ status: 'failed', sightings: 0, message: '<b>TinEye failed</b> (HTTP 429)' }),
  ]);
  t.match(
    failed,
    'TinEye gave no answer (&lt;b&gt;TinEye failed&lt;/b&gt; (HTTP 429)): its silence says nothing',
  );
  t.notMatch(failed, '<b>', 'an engine’s words stay text');
  t.match(
    page([outcome({ status: 'skipped', sightings: 0, message: 'Only the first 5 images' })]),
    'TinEye was not asked: Only the first 5 images',
  );
});
