import t from 'tap';
import { extractLinks, normalizeUrl, targetsFingerprint, targetsOf } from '../../src/services/targets.js';

t.test('the seed case: an embedded tweet pasted from a news article', async (t) => {
  const text =
    'Protesters seen raiding weapons from a National Security Committee building in Almaty, ' +
    'spot the guy who nabbed himself a nice new RPG. pic.twitter.com/Qusib5yzbm — Jan 5, 2022';
  const r = targetsOf({ text });
  t.ok(r.ok);
  if (r.ok)
    t.same(r.targets, [{ input: 'pic.twitter.com/Qusib5yzbm', url: 'https://pic.twitter.com/Qusib5yzbm' }]);
});

t.test('every link in text, in order, deduplicated after normalization', async (t) => {
  const r = targetsOf({
    text: 'See https://x.com/a/status/1?utm_source=tw#top, (also http://img.example/p.jpg). And again https://X.com/a/status/1!',
  });
  t.ok(r.ok);
  if (r.ok)
    t.same(
      r.targets.map((x) => x.url),
      ['https://x.com/a/status/1', 'http://img.example/p.jpg'],
    );
});

t.test('sentence punctuation is not part of a link, balanced parentheses are', async (t) => {
  t.same(extractLinks('Look: https://en.wikipedia.org/wiki/Foo_(bar). Done'), [
    'https://en.wikipedia.org/wiki/Foo_(bar)',
  ]);
  t.same(extractLinks('"https://a.example/x.jpg", she said'), ['https://a.example/x.jpg']);
  t.same(extractLinks('mypic.twitter.com/abc is not a link'), []);
});

t.test('normalization keeps what servers need and drops what they do not', async (t) => {
  t.equal(
    normalizeUrl('HTTPS://Pbs.Twimg.com:443/media/X.jpg?format=jpg&name=orig#f'),
    'https://pbs.twimg.com/media/X.jpg?format=jpg&name=orig',
  );
  t.equal(normalizeUrl('ftp://example.com/a'), null);
  t.equal(normalizeUrl('http://'), null);
});

t.test('no links, or a url that is not one', async (t) => {
  t.same(targetsOf({ text: 'nothing to see here' }), { ok: false, reason: 'none' });
  t.same(targetsOf({ url: 'javascript:alert(1)' }), {
    ok: false,
    reason: 'invalid',
    input: 'javascript:alert(1)',
  });
  const r = targetsOf({ url: ' https://a.example/x.jpg ' });
  t.ok(r.ok && targetsFingerprint(r.targets) === 'https://a.example/x.jpg');
});
