// What a watch calls a change, and the sentence of the timeline entry.
import t from 'tap';
import { changeSentence, detectChange, postState } from '../../src/pipeline/watch.js';
import type { Resolution } from '../../src/pipeline/resolve/types.js';
import type { Post } from '../../schemas/post.js';

const post = (text: string, media: string[]) =>
  ({ text, media: media.map((url) => ({ type: 'photo', url })) }) as unknown as Post;
const seen = postState(
  post('Brücke bei Nacht', ['https://cdn/a.jpg', 'https://cdn/b.jpg']),
  '2022-01-06T14:00:00Z',
);
const now = (p: Post): Resolution => ({ kind: 'post', post: p });
const error = (code: string): Resolution => ({ kind: 'error', code, message: code, trail: [] }) as Resolution;

t.test('changes, and what is no change', async (t) => {
  t.equal(
    detectChange(seen, now(post('Brücke bei Nacht', ['https://cdn/a.jpg', 'https://cdn/b.jpg']))),
    null,
  );
  t.equal(
    detectChange(seen, now(post('  Brücke bei Nacht\n', ['https://cdn/a.jpg', 'https://cdn/b.jpg']))),
    null,
    'whitespace around',
  );
  t.equal(
    detectChange(seen, now(post('Brücke am Tag', ['https://cdn/a.jpg', 'https://cdn/b.jpg']))),
    'text_changed',
  );
  t.equal(
    detectChange(seen, now(post('Brücke bei Nacht', ['https://cdn/a.jpg']))),
    'media_changed',
    'one removed',
  );
  t.equal(
    detectChange(seen, now(post('Brücke bei Nacht', ['https://cdn/b.jpg', 'https://cdn/a.jpg']))),
    'media_changed',
    'reordered',
  );
  t.equal(detectChange(seen, error('post_deleted')), 'deleted');
  t.equal(detectChange(seen, error('post_not_found')), 'deleted');
  t.equal(detectChange(seen, error('post_protected')), 'private');
  for (const code of ['rate_limited', 'http_error', 'timeout', 'resolver_failed'])
    t.equal(detectChange(seen, error(code)), null, `${code}: nothing can be said`);
});

t.test('the timeline sentence names both times, in UTC', async (t) => {
  t.equal(
    changeSentence('deleted', '2022-01-06T14:00:00Z', '2022-01-06T15:00:00Z'),
    'The post was deleted between 14:00 and 15:00 UTC on 6 Jan 2022',
  );
  t.equal(
    changeSentence('private', '2022-01-05T23:30:00Z', '2022-01-06T00:30:00Z'),
    'The post was made private between 23:30 UTC on 5 Jan 2022 and 00:30 UTC on 6 Jan 2022',
  );
  t.equal(
    changeSentence('text_changed', '2022-01-06T09:05:00+01:00', '2022-01-06T09:10:00Z'),
    'The post had its text changed between 08:05 and 09:10 UTC on 6 Jan 2022',
  );
  t.match(
    changeSentence('media_changed', '2022-01-06T08:05:00Z', '2022-01-06T09:10:00Z'),
    /had its media changed/,
  );
});
