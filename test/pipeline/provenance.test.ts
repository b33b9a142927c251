// The story the report tells, from evidence the other stages found: timeline order, the earliest sighting
// and what it rests on, and each signal's trigger.
import t from 'tap';
import type { Match } from '../../schemas/provenance.js';
import { buildProvenance, type ProvenanceInput } from '../../src/pipeline/provenance.js';

const TH = { recycledMarginHours: 48, thumbnailMismatchBits: 80, minPdqQuality: 50 };
const base: ProvenanceInput = {
  checkedAt: '2026-11-20T10:00:00Z',
  sourceUrl: 'https://pbs.example/a.jpg',
  matches: [],
  thresholds: TH,
};

const seen = (over: Partial<Match> = {}): Match => ({
  kind: 'near_duplicate',
  source: 'seen',
  hash: 'pdq',
  distance: 12,
  transform: 'original',
  sha256: 'a'.repeat(64),
  first_seen_at: '2019-03-02T08:00:00Z',
  first_seen_url: 'https://old.example/photo.jpg',
  posted_at: null,
  post_url: null,
  captured_at: null,
  sightings: 3,
  bank: null,
  ...over,
});

t.test(
  'a match first seen years before the post: recycled, and the earliest sighting rests on it',
  async (t) => {
    const p = buildProvenance({
      ...base,
      post: { url: 'https://x.com/a/status/1', posted_at: '2026-11-19T09:00:00Z' },
      matches: [seen()],
    });
    t.match(p.signals, [
      {
        code: 'recycled',
        severity: 'high',
        message: /7 years before the post \(at https:\/\/old\.example\/photo\.jpg\)/,
      },
    ]);
    t.match(p.earliest, {
      kind: 'match_first_seen',
      at: '2019-03-02T08:00:00Z',
      strength: 'medium',
      note: /only as old as firstseen/,
    });
    t.same(
      p.timeline.map((e) => e.kind),
      ['match_first_seen', 'post_published', 'checked'],
      'oldest first, the check last',
    );
  },
);

t.test('a match from yesterday is not recycled; the margin is configurable', async (t) => {
  const recent = seen({ first_seen_at: '2026-11-19T08:00:00Z' });
  t.notMatch(buildProvenance({ ...base, matches: [recent] }).signals, [{ code: 'recycled' }]);
  const strict = buildProvenance({
    ...base,
    matches: [recent],
    thresholds: { ...TH, recycledMarginHours: 1 },
  });
  t.match(strict.signals, [{ code: 'recycled', message: /seen 26 hours before this check/ }]);
  // Short gaps read as people say them, never "1 hours".
  const message = (first_seen_at: string) =>
    buildProvenance({
      ...base,
      matches: [seen({ first_seen_at })],
      thresholds: { ...TH, recycledMarginHours: 0 },
    }).signals.find((s) => s.code === 'recycled')?.message;
  t.match(message('2026-11-20T09:00:00Z'), /seen an hour before this check/);
  t.match(message('2026-11-20T09:48:00Z'), /seen 12 minutes before this check/);
  t.match(message('2026-11-20T09:59:30Z'), /seen moments before this check/);
});

t.test('bank matches carry the label and verdict; a debunked bank is high severity', async (t) => {
  const bank = seen({
    source: 'bank',
    first_seen_at: null,
    bank: {
      id: 'bank_1',
      name: 'Debunked',
      kind: 'debunked',
      publisher: 'default',
      entry_id: 'e1',
      label: 'Aleppo 2016',
      verdict: 'old photo, Syria 2016',
      source_url: 'https://factcheck.example/1',
      first_published: '2016-08-18T00:00:00Z',
    },
  });
  const p = buildProvenance({ ...base, matches: [bank] });
  t.match(p.signals, [
    { code: 'recycled', message: /10 years before this check/ },
    {
      code: 'bank_match',
      severity: 'high',
      message: 'Matches "Aleppo 2016" in the bank "Debunked" of default: old photo, Syria 2016.',
    },
  ]);
  t.match(p.earliest, { kind: 'bank_first_published', url: 'https://factcheck.example/1' });
});

t.test('EXIF capture date years before the post; camera clocks are weak evidence', async (t) => {
  const p = buildProvenance({
    ...base,
    post: { url: null, posted_at: '2026-11-19T09:00:00Z' },
    metadata: {
      times: {
        date_time_original: {
          raw: '2023:05:01 12:00:00',
          iso: '2023-05-01T12:00:00',
          time_zone: null,
          note: 'no time zone',
        },
      },
      gps: { latitude: 41.5, longitude: 2.1 },
      software: 'Adobe Photoshop CS5 Windows',
      xmp: { creator_tool: null, history: [], history_total: 11 },
      metadata_status: 'present',
    } as never,
  });
  t.match(p.signals, [
    { code: 'capture_predates_post', message: 'The EXIF capture date is 3 years before the post.' },
    { code: 'edited_with_software', message: /Edited with Adobe Photoshop CS5 Windows \(11 steps/ },
    { code: 'gps_present', message: /41\.50000, 2\.10000/ },
  ]);
  t.match(p.earliest, { kind: 'exif_capture', strength: 'weak', note: /no time zone/ });
});

t.test('the camera’s clock against the GPS time of the same file', async (t) => {
  const at = (iso: string, time_zone: string | null) => ({ raw: iso, iso, time_zone, note: null });
  const clock = (taken: ReturnType<typeof at>, gps: string) =>
    buildProvenance({
      ...base,
      metadata: {
        times: { date_time_original: taken, gps: at(gps, '+00:00') },
        xmp: null,
        metadata_status: 'present',
      } as never,
    }).signals.filter((s) => s.code === 'capture_time_disagrees_gps');
  // The fixtures' Nikon COOLPIX P6000 photo (DSCN0010): its date set a day wrong.
  t.match(clock(at('2008-10-22T16:28:39', null), '2008-10-23T14:27:07.24Z'), [
    {
      severity: 'medium',
      message:
        'The camera’s clock (22 Oct 2008, 16:28, no time zone) and the GPS time in the same file (23 Oct 2008, 14:27 UTC) are 22 hours apart, more than any time zone explains: the clock was set wrong, the GPS time is an older fix’s, or the metadata was edited.',
    },
  ]);
  t.same(
    clock(at('2018-07-25T16:34:23', null), '2018-07-25T14:34:23Z'),
    [],
    'a zone apart (+2 h), none written',
  );
  t.same(clock(at('2018-07-25T04:34:23', null), '2018-07-25T14:34:23Z'), [], 'UTC-10');
  t.same(
    clock(at('2022-08-14T14:12:31+03:00', '+03:00'), '2022-08-14T11:12:32Z'),
    [],
    'the zone written: a second',
  );
  t.match(clock(at('2009-06-24T09:41:07+01:00', '+01:00'), '2009-06-24T13:40:26Z'), [
    { message: /UTC\+01:00\) .* are 5 hours apart, more than its time zone explains/ },
  ]);
  t.match(clock(at('2003-12-14T12:01:44', null), '2018-07-25T14:34:23Z'), [{ message: /14 years apart/ }]);
  t.same(clock(at('2003-12-14T12:01:44', null), null as never), [], 'no GPS time');
  const p = buildProvenance({
    ...base,
    metadata: {
      times: {
        date_time_original: at('2008-10-22T16:28:39', null),
        gps: at('2008-10-23T14:27:07.24Z', '+00:00'),
      },
      xmp: null,
      metadata_status: 'present',
    } as never,
  });
  t.match(
    p.timeline.filter((e) => e.kind.startsWith('exif')),
    [
      { kind: 'exif_capture', strength: 'weak' },
      { kind: 'exif_gps_time', strength: 'weak', description: /position at 2008-10-23 14:27:07 UTC/ },
    ],
    'both on the timeline',
  );
  t.match(p.earliest, { kind: 'exif_capture' });
});

t.test('thumbnail mismatch only between detailed pictures', async (t) => {
  const hashes = {
    pdq: { hash: '0'.repeat(64), quality: 100, dihedral: [] },
    ahash: '',
    dhash: '',
    phash: '',
  };
  const thumb = (d: number, q: number) => ({
    width: 160,
    height: 120,
    pdq: '0'.repeat(64),
    pdq_quality: q,
    pdq_distance: d,
  });
  t.match(buildProvenance({ ...base, hashes, exifThumbnail: thumb(120, 100) }).signals, [
    { code: 'thumbnail_mismatch', severity: 'high' },
  ]);
  t.same(buildProvenance({ ...base, hashes, exifThumbnail: thumb(40, 100) }).signals, []);
  t.same(
    buildProvenance({ ...base, hashes, exifThumbnail: thumb(120, 10) }).signals,
    [],
    'a flat thumbnail proves nothing',
  );
});

t.test('no evidence at all: no earliest sighting, only the check', async (t) => {
  const p = buildProvenance(base);
  t.equal(p.earliest, null);
  t.same(
    p.timeline.map((e) => e.kind),
    ['checked'],
  );
  t.same(p.signals, []);
});

t.test(
  'web crawl dates: medium evidence, the earliest when older, recycled unless the copy is this one',
  async (t) => {
    const post = { url: 'https://x.com/a/status/1', posted_at: '2026-11-19T09:00:00Z' };
    const crawl = (page_url: string, crawled_at: string, url: string | null = null) => ({
      engine: 'TinEye',
      url,
      page_url,
      crawled_at,
    });
    const p = buildProvenance({
      ...base,
      post,
      web: [crawl('https://forum.example/t/1', '2016-08-14T00:00:00.000Z', 'https://forum.example/a.jpg')],
    });
    t.match(p.earliest, {
      kind: 'web_crawled',
      url: 'https://forum.example/t/1',
      strength: 'medium',
      description: 'TinEye’s crawler found the image on forum.example.',
      note: /first saw it at https:\/\/forum\.example\/a\.jpg on 2016-08-14; a crawl date is when the crawler came, not when it was posted/,
    });
    t.match(p.signals, [
      {
        code: 'recycled',
        message:
          'This image was on the web 10 years before the post: TinEye’s crawler found it at https://forum.example/t/1 on 2016-08-14.',
      },
    ]);

    // Crawled after the post, or within the margin before it: no sign of recycling.
    for (const at of ['2026-11-19T12:00:00.000Z', '2026-11-18T09:00:00.000Z']) {
      const later = buildProvenance({ ...base, post, web: [crawl('https://forum.example/t/2', at)] });
      t.notOk(
        later.signals.some((s) => s.code === 'recycled'),
        at,
      );
      t.ok(
        later.timeline.some((e) => e.kind === 'web_crawled'),
        'still in the timeline',
      );
    }
    // The post's own page, or the checked file's own URL, crawled before this check.
    for (const own of [
      crawl(post.url, '2020-01-01T00:00:00.000Z'),
      crawl('https://o.example/', '2020-01-01T00:00:00.000Z', base.sourceUrl),
    ]) {
      const self = buildProvenance({ ...base, post, web: [own] });
      t.notOk(
        self.signals.some((s) => s.code === 'recycled'),
        own.page_url,
      );
    }
    // An earlier match in firstseen's memory and a later crawl: the match is the one the signal names.
    const both = buildProvenance({
      ...base,
      post,
      matches: [seen({ first_seen_at: '2012-01-01T00:00:00Z' })],
      web: [crawl('https://forum.example/t/1', '2016-08-14T00:00:00.000Z')],
    });
    t.match(
      both.signals.filter((s) => s.code === 'recycled'),
      [{ message: /14 years before the post \(at https:\/\/old\.example/ }],
    );
  },
);

t.test('recompressed: standard libjpeg tables at quality 92 or below and no camera EXIF', async (t) => {
  const jpeg = (tables: 'standard' | 'custom', q: number) =>
    ({ tables, standard_quality: tables === 'standard' ? q : null, quality: q }) as never;
  const md = (camera_exif: boolean, status = 'stripped') =>
    ({ camera_exif, metadata_status: status, times: {}, xmp: null }) as never;
  const codes = (over: Partial<ProvenanceInput>) =>
    buildProvenance({ ...base, ...over })
      .signals.map((s) => s.code)
      .filter((c) => c === 'recompressed');
  t.match(
    buildProvenance({ ...base, jpeg: jpeg('standard', 85), metadata: md(false) }).signals.find(
      (s) => s.code === 'recompressed',
    ),
    { severity: 'info', message: /quality 85 and no camera metadata/ },
  );
  t.same(
    codes({ jpeg: jpeg('standard', 92), metadata: md(false) }),
    ['recompressed'],
    'the bound is included',
  );
  t.same(codes({ jpeg: jpeg('standard', 93), metadata: md(false) }), [], 'a high-quality export');
  t.same(codes({ jpeg: jpeg('custom', 80), metadata: md(false) }), [], 'custom tables');
  t.same(codes({ jpeg: jpeg('standard', 84), metadata: md(true, 'present') }), [], 'camera EXIF');
  t.same(codes({ jpeg: jpeg('standard', 80), metadata: md(false, 'unreadable') }), [], 'unread metadata');
  t.same(codes({ jpeg: jpeg('standard', 80) }), [], 'no metadata');
});

t.test(
  'double_compressed: with the earlier quality, the confidence and the caveat in the sentence',
  async (t) => {
    const jpeg = (detected: boolean) =>
      ({
        tables: 'custom',
        standard_quality: null,
        double_compression: {
          status: 'estimated',
          detected,
          confidence: detected ? 0.7 : 0,
          primary_quality: detected ? 90 : null,
          caveat: 'A hint, not proof.',
        },
      }) as never;
    t.match(
      buildProvenance({ ...base, jpeg: jpeg(true) }).signals.find((s) => s.code === 'double_compressed'),
      {
        severity: 'medium',
        message:
          /earlier compression at about quality 90 \(confidence 0\.70\).*saved at least twice\. A hint, not proof\./,
      },
    );
    t.notOk(
      buildProvenance({ ...base, jpeg: jpeg(false) }).signals.some((s) => s.code === 'double_compressed'),
    );
  },
);
