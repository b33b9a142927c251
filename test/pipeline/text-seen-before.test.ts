// `text_seen_before` from `kind: text` matches: raised for words posted earlier by another account or
// read in an image seen before; not for the same account, not for words seen after the post, and words
// in common never make the picture `recycled`.
import t from 'tap';
import type { Match } from '../../schemas/provenance.js';
import { buildProvenance, type ProvenanceInput } from '../../src/pipeline/provenance.js';

const base: ProvenanceInput = {
  checkedAt: '2026-11-20T10:00:00Z',
  sourceUrl: 'https://pbs.example/a.jpg',
  post: { url: 'https://x.com/bob/status/2', posted_at: '2026-11-19T09:00:00Z', author: '@bob' },
  matches: [],
  thresholds: { recycledMarginHours: 48, thumbnailMismatchBits: 80, minPdqQuality: 50 },
};

const words = (over: Partial<Match> & { author?: string | null; of?: 'post' | 'image' } = {}): Match => {
  const { author = '@alice', of = 'post', ...rest } = over;
  return {
    kind: 'text',
    source: 'seen',
    hash: 'words',
    distance: 8,
    transform: 'none',
    sha256: null,
    first_seen_at: '2026-10-01T08:00:00Z',
    first_seen_url: 'https://x.com/alice/status/1',
    posted_at: '2026-09-30T08:00:00Z',
    post_url: 'https://x.com/alice/status/1',
    captured_at: null,
    sightings: 1,
    bank: null,
    text: { of, matched: 'post', share: 0.92, jaccard: 0.8, common: 12, author, platform: 'x' },
    ...rest,
  };
};

const codes = (input: ProvenanceInput) => buildProvenance(input).signals.map((s) => s.code);

t.test('another account’s earlier post with the same words', async (t) => {
  const p = buildProvenance({ ...base, matches: [words()] });
  t.same(
    p.signals.filter((s) => s.code === 'text_seen_before'),
    [
      {
        code: 'text_seen_before',
        severity: 'medium',
        message:
          'The same words as this post were seen 50 days before the post in a post by @alice (https://x.com/alice/status/1): 92% of the words in common.',
      },
    ],
  );
  t.notOk(
    codes({ ...base, matches: [words()] }).includes('recycled'),
    'the picture is not recycled by words',
  );
  t.ok(
    p.timeline.some(
      (e) => e.kind === 'match_posted' && /a post with the same words by @alice/.test(e.description),
    ),
    'the earlier post is in the timeline',
  );
});

t.test('no signal: the same account, a later post, or within the margin', async (t) => {
  t.notOk(codes({ ...base, matches: [words({ author: '@bob' })] }).includes('text_seen_before'));
  const later = words({ posted_at: '2026-11-19T12:00:00Z', first_seen_at: '2026-11-19T12:00:00Z' });
  t.notOk(codes({ ...base, matches: [later] }).includes('text_seen_before'));
  const close = words({ posted_at: '2026-11-18T09:00:00Z', first_seen_at: '2026-11-18T09:00:00Z' });
  t.notOk(codes({ ...base, matches: [close] }).includes('text_seen_before'), 'a day before, margin 48 h');
});

t.test('the words in a picture, seen in an image before', async (t) => {
  const m = words({
    of: 'image',
    author: null,
    sha256: 'c'.repeat(64),
    posted_at: null,
    post_url: null,
    first_seen_url: 'https://img.example/meme.jpg',
    text: {
      of: 'image',
      matched: 'image',
      share: 0.8,
      jaccard: 0.7,
      common: 9,
      author: null,
      platform: null,
    },
  });
  const s = buildProvenance({ ...base, matches: [m] }).signals.find((x) => x.code === 'text_seen_before');
  t.equal(
    s?.message,
    'The words in this image were seen 49 days before the post in an image first seen at https://img.example/meme.jpg: 80% of the words in common.',
  );
});
