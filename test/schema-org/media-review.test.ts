// MediaReview drafts: what each media item becomes, and that every type and property in them is one
// schema.org defines, on a type that may carry it (expanded by a JSON-LD processor, checked against
// schema.org's vocabulary; test/helpers/schema-org.ts).
import t from 'tap';
import { Value } from 'typebox/value';
import { MediaReview, MediaReviewDraft } from '../../schemas/media-review.js';
import type { TimelineEvent } from '../../schemas/provenance.js';
import type { MediaItem, Report } from '../../schemas/report.js';
import { mediaReviewDraft } from '../../src/schema-org/media-review.js';
import { expandOffline, schemaOrgVocabulary, vocabularyProblems } from '../helpers/schema-org.js';

const SHA = (c: string) => c.repeat(64);

const event = (kind: TimelineEvent['kind'], at: string, url: string | null): TimelineEvent => ({
  at,
  kind,
  description: kind,
  url,
  strength: 'medium',
  note: null,
});

function item(index: number, fields: Partial<MediaItem>, timeline: TimelineEvent[] = []): MediaItem {
  return {
    index,
    target_index: 0,
    post_index: null,
    source_url: `https://img.example/${index}.jpg`,
    redirects: [],
    status: 'ok',
    timings_ms: {},
    sha256: SHA(String(index)),
    mime: 'image/jpeg',
    provenance: { earliest: timeline[0] ?? null, timeline, matches: [], signals: [] },
    ...fields,
  };
}

const report = (media: MediaItem[]): Report => ({
  schema_version: '2',
  check_id: 'chk_mr',
  started_at: '2026-12-05T00:00:00.000Z',
  completed_at: '2026-12-05T00:00:05.000Z',
  targets: [],
  posts: [],
  media,
});

const CHECKED = event('checked', '2026-12-05T00:00:00.000Z', 'https://img.example/1.jpg');

t.test('one MediaReview per analyzed item: the file, first seen online, the link to it', async (t) => {
  const draft = mediaReviewDraft(
    report([
      item(1, {}, [
        // The camera clock is older but is no sighting online: uploadDate comes from the crawl.
        event('exif_capture', '2008-05-30T15:56:01', null),
        event('web_crawled', '2016-08-14T00:00:00.000Z', 'https://forum.example/threads/4411/'),
        event('post_published', '2022-03-01T09:12:45.000Z', 'https://x.com/a/status/1'),
        CHECKED,
      ]),
      item(2, { status: 'error', error: { code: 'timeout', message: 'slow' } }),
      item(3, { mime: 'video/mp4', source_url: 'https://v.example/3.mp4' }, [
        event('match_first_seen', '2024-01-02T03:04:05.000Z', 'upload:' + SHA('f')),
        event('wayback_capture', '2024-02-01T00:00:00.000Z', 'https://web.archive.org/web/20240201/x'),
      ]),
      item(4, { source_url: `upload:${SHA('4')}` }, [CHECKED]),
    ]),
  );
  // ref(MediaReview) is `{$ref: 'MediaReview#'}`; TypeBox resolves it from a context keyed the same way.
  t.same([...Value.Errors({ 'MediaReview#': MediaReview }, MediaReviewDraft, draft)], [], 'fits its schema');
  t.same(draft, {
    '@context': 'https://schema.org',
    '@graph': [
      {
        '@type': 'MediaReview',
        itemReviewed: {
          '@type': 'MediaReviewItem',
          mediaItemAppearance: [
            {
              '@type': 'ImageObject',
              contentUrl: 'https://img.example/1.jpg',
              sha256: SHA('1'),
              encodingFormat: 'image/jpeg',
              uploadDate: '2016-08-14T00:00:00.000Z',
            },
          ],
        },
        originalMediaLink: 'https://forum.example/threads/4411/',
      },
      {
        '@type': 'MediaReview',
        itemReviewed: {
          '@type': 'MediaReviewItem',
          mediaItemAppearance: [
            {
              '@type': 'VideoObject',
              contentUrl: 'https://v.example/3.mp4',
              sha256: SHA('3'),
              encodingFormat: 'video/mp4',
              // An earlier match first seen in an upload has no link: the archive capture is the first.
              uploadDate: '2024-02-01T00:00:00.000Z',
            },
          ],
        },
        originalMediaLink: 'https://web.archive.org/web/20240201/x',
      },
      {
        '@type': 'MediaReview',
        itemReviewed: {
          '@type': 'MediaReviewItem',
          // An upload: no URL (it stays private), and this check is no sighting.
          mediaItemAppearance: [{ '@type': 'ImageObject', sha256: SHA('4'), encodingFormat: 'image/jpeg' }],
        },
      },
    ],
  });
  const expanded = await expandOffline(draft);
  t.same(vocabularyProblems(expanded), [], 'every type and property is schema.org’s, where it belongs');
  const ns = schemaOrgVocabulary().namespace;
  t.match(expanded, [{ '@type': [`${ns}MediaReview`], [`${ns}originalMediaLink`]: [{}] }]);
  t.equal(expanded.length, 3, 'nothing was dropped by the processor');
});

t.test('the check fails on terms schema.org does not define or does not put there', async (t) => {
  const problems = async (review: object) =>
    vocabularyProblems(await expandOffline({ '@context': 'https://schema.org', '@graph': [review] }));
  t.match(await problems({ '@type': 'MediaReview', mediaAuthenticityCategry: 'x' }), [
    /mediaAuthenticityCategry is not a schema.org property/,
  ]);
  t.match(await problems({ '@type': 'MediaReviewDraft', name: 'x' }), [
    /MediaReviewDraft is not a schema.org type/,
  ]);
  t.match(await problems({ '@type': 'MediaReview', sha256: SHA('a') }), [
    /sha256 is not a property of .*MediaReview/,
  ]);
  t.match(await problems({ '@type': 'MediaReviewItem', appearance: 'https://x.example/' }), [
    /appearance is not a property of .*MediaReviewItem/,
  ]);
  t.match(await problems({ name: 'untyped' }), [/a node without a type/]);
  await t.rejects(
    expandOffline({ '@context': 'https://elsewhere.example/context', name: 'x' }),
    /Dereferencing a URL did not result .*elsewhere\.example\/context/,
    'nothing is fetched: the loader refuses every URL but schema.org’s context',
  );
});

t.test('the vocabulary is schema.org’s, with MediaReview in it', async (t) => {
  const v = schemaOrgVocabulary();
  t.equal(v.namespace, 'http://schema.org/');
  t.ok(
    v.classes.size > 500 && v.properties.size > 1000,
    `${v.classes.size} types, ${v.properties.size} properties`,
  );
  for (const term of ['MediaReview', 'MediaReviewItem', 'ImageObject', 'VideoObject'])
    t.ok(v.classes.has(`${v.namespace}${term}`), term);
});
