// Reverse image search leads (REVERSE_SEARCH_ENGINES): links for images with a public URL, the image URL
// percent-encoded into each engine's template; none for uploads, local files or what is not an image.
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { reverseSearchLinks } from '../../src/pipeline/reverse-search.js';
import { testConfig } from '../helpers/app.js';

const engines = testConfig().reverseSearch;
const image = (source_url: string, mime = 'image/jpeg') => ({ source_url, mime });

t.test('the default engines, in order, on the image URL percent-encoded', async (t) => {
  const url = 'https://pbs.twimg.com/media/FMxAbCdWQAIh0sT?format=jpg&name=orig';
  const links = reverseSearchLinks(image(url), engines);
  t.same(
    links.map((l) => l.engine),
    ['google_lens', 'bing', 'yandex', 'tineye', 'baidu'],
  );
  const lens = new URL(links[0]!.url);
  t.equal(lens.origin + lens.pathname, 'https://lens.google.com/uploadbyurl');
  t.equal(lens.searchParams.get('url'), url, 'the whole image URL, query included, is one parameter');
  t.equal(new URL(links[1]!.url).searchParams.get('imgurl'), url);
  t.equal(new URL(links[2]!.url).searchParams.get('url'), url);
  t.equal(new URL(links[3]!.url).searchParams.get('url'), url);
  t.equal(new URL(links[4]!.url).searchParams.get('image'), url);
});

t.test('no links for an upload, a local file, another scheme or what is not an image', async (t) => {
  t.same(reverseSearchLinks(image(`upload:${'a'.repeat(64)}`), engines), [], 'an upload stays private');
  t.same(reverseSearchLinks(image('file:///home/me/photo.jpg'), engines), []);
  t.same(reverseSearchLinks(image('javascript:alert(1)'), engines), []);
  t.same(reverseSearchLinks(image('not a url'), engines), []);
  t.same(reverseSearchLinks(image('https://example.org/v.mp4', 'video/mp4'), engines), []);
  t.same(reverseSearchLinks({ source_url: 'https://example.org/x' }, engines), [], 'never analyzed');
});

t.test('REVERSE_SEARCH_ENGINES: configurable, `off` turns links off, bad templates refused', async (t) => {
  const one = loadConfig({ REVERSE_SEARCH_ENGINES: 'own=https://search.example/by-url?u={url}' });
  t.same(reverseSearchLinks(image('https://example.org/a.jpg'), one.reverseSearch), [
    { engine: 'own', url: 'https://search.example/by-url?u=https%3A%2F%2Fexample.org%2Fa.jpg' },
  ]);
  t.same(loadConfig({ REVERSE_SEARCH_ENGINES: 'off' }).reverseSearch, []);
  t.equal(loadConfig({ REVERSE_SEARCH_ENGINES: '' }).reverseSearch.length, 5, 'empty: the default');
  for (const bad of [
    'own=http://search.example/?u={url}',
    'own=https://search.example/?u=',
    'own=https://search.example/?u={url}&v={url}',
    'https://search.example/?u={url}',
    'Own Engine=https://search.example/?u={url}',
  ])
    t.throws(() => loadConfig({ REVERSE_SEARCH_ENGINES: bad }), ConfigError, bad);
});
