// The report page's best-copy table: the ranking as a table with this copy marked, a hostile URL or
// camera name shown as text, and no table without a ranking.
import t from 'tap';
import type { CopyFacts } from '../../schemas/best-copy.js';
import type { Check } from '../../schemas/check.js';
import type { MediaItem } from '../../schemas/report.js';
import { bestCopyOf } from '../../src/memory/best-copy.js';
import { renderCheckPage } from '../../src/views/check-page.js';

function page(best: MediaItem['best_copy']): string {
  const item: MediaItem = {
    index: 0,
    target_index: 0,
    post_index: null,
    source_url: 'https://img.example/a.jpg',
    redirects: [],
    status: 'ok',
    timings_ms: {},
    ...(best && { best_copy: best }),
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

const copy = (over: Partial<CopyFacts>): CopyFacts => ({
  this: false,
  sha256: 'a'.repeat(64),
  width: 320,
  height: 240,
  jpeg_quality: 60,
  camera_exif: false,
  camera: null,
  captured_at: null,
  framing: 'whole',
  first_seen_at: '2022-02-01T00:00:00.000Z',
  first_seen_url: null,
  ...over,
});

t.test('the ranking as a table, hostile strings as text', async (t) => {
  const best = bestCopyOf(
    [
      copy({ this: true }),
      copy({
        sha256: 'b'.repeat(64),
        width: 4000,
        height: 3000,
        camera_exif: true,
        camera: '<script>alert(1)</script>',
        first_seen_url: 'javascript:alert(1)',
        first_seen_at: '2022-01-04T10:00:00.000Z',
      }),
    ],
    true,
  );
  const html = page(best);
  t.match(html, /<h3>Closest copy to the original<\/h3>/);
  t.match(html, /Named from a copy seen after this check finished/);
  t.match(html, /4000 × 3000[\s\S]*320 × 240/, 'the best copy first');
  t.match(html, /<tr class="this">[\s\S]*?<strong>this copy<\/strong>/);
  t.notMatch(html, /<script>alert/, 'the camera name is text');
  t.notMatch(html, /href="javascript:/, 'no script URL becomes a link');
  t.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

t.test('no ranking, no section', async (t) => {
  t.notMatch(page(undefined), /Closest copy to the original/);
});
