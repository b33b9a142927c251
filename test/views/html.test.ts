// The one place markup meets strangers' strings: escaping, the markup`` tag and URL checks.
import t from 'tap';
import { escapeHtml, externalLink, markup, safeUrl, SafeHtml, unsafeRaw } from '../../src/views/html.js';
import { formatTime, timeParts } from '../../src/views/format.js';

t.test('escapeHtml escapes the five characters that matter, in text and in quoted attributes', async (t) => {
  t.equal(
    escapeHtml(`<script>alert("x") & 'y'</script>`),
    '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;',
  );
  t.equal(escapeHtml('&amp;'), '&amp;amp;', 'already-escaped text is escaped again: it is text');
  t.equal(escapeHtml(42), '42');
  t.equal(escapeHtml('Brücke — 橋 — جسر'), 'Brücke — 橋 — جسر', 'other characters pass as they are');
});

t.test('markup`` escapes every value unless it is markup made by markup``', async (t) => {
  const hostile = '<img src=x onerror=alert(1)>';
  const out = markup`<p title="${hostile}">${hostile}</p>`;
  t.ok(out instanceof SafeHtml);
  t.equal(out.value, '<p title="&lt;img src=x onerror=alert(1)&gt;">&lt;img src=x onerror=alert(1)&gt;</p>');
  t.equal(
    markup`<div>${markup`<b>${'<i>'}</b>`}</div>`.value,
    '<div><b>&lt;i&gt;</b></div>',
    'nested templates',
  );
  t.equal(
    markup`<ul>${['<a>', markup`<li>ok</li>`, ['x', '<y>']]}</ul>`.value,
    '<ul>&lt;a&gt;<li>ok</li>x&lt;y&gt;</ul>',
  );
  t.equal(markup`${null}${undefined}${false}${0}`.value, '0', 'nothing for null, undefined and false');
  t.equal(markup`<q>${'"><script>'}</q>`.value, '<q>&quot;&gt;&lt;script&gt;</q>');
  t.equal(
    markup`${{ toString: () => '<b>' } as unknown as string}`.value,
    '&lt;b&gt;',
    'objects are text too',
  );
  t.equal(unsafeRaw('<b>').value, '<b>', 'raw only when asked for by name');
});

t.test('safeUrl lets only http(s) through', async (t) => {
  t.equal(safeUrl('https://example.org/a b?q=<x>'), 'https://example.org/a%20b?q=%3Cx%3E', 'normalized');
  t.equal(safeUrl('http://127.0.0.1:8080/x.jpg'), 'http://127.0.0.1:8080/x.jpg');
  for (const bad of [
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example/x',
    '/relative',
    'upload:abc',
    '',
    null,
    undefined,
  ]) {
    t.equal(safeUrl(bad), null, `refused: ${JSON.stringify(bad)}`);
  }
});

t.test('externalLink: a safe link, or the address as text', async (t) => {
  t.equal(
    externalLink('https://example.org/?a=1&b="2"').value,
    '<a class="url" href="https://example.org/?a=1&amp;b=%222%22" rel="noopener noreferrer nofollow">https://example.org/?a=1&amp;b=&quot;2&quot;</a>',
  );
  t.equal(externalLink('javascript:alert(1)').value, '<span class="url">javascript:alert(1)</span>');
  t.match(
    externalLink('https://osm.example/', 'Map <here>').value,
    /class="url labelled".*>Map &lt;here&gt;<\/a>$/,
  );
});

t.test('times are written as stated, never moved to another zone', async (t) => {
  t.same(timeParts('2008-10-22T16:28:39'), { date: '22 Oct 2008', time: '16:28:39', zone: null });
  t.same(timeParts('2024-04-03T14:22:10.000Z'), { date: '3 Apr 2024', time: '14:22:10', zone: 'UTC' });
  t.same(timeParts('2010-02-24T00:23:50-06:00'), {
    date: '24 Feb 2010',
    time: '00:23:50',
    zone: 'UTC-06:00',
  });
  t.same(timeParts('2015-01-02'), { date: '2 Jan 2015', time: null, zone: null });
  t.equal(timeParts('2015-13-02'), null);
  t.equal(timeParts('yesterday'), null);
  t.equal(
    formatTime('2008-10-22T16:28:39').value,
    '<time datetime="2008-10-22T16:28:39">22 Oct 2008, 16:28:39</time> <span class="zone">no time zone</span>',
  );
  t.equal(
    formatTime('<b>soon</b>').value,
    '<span>&lt;b&gt;soon&lt;/b&gt;</span>',
    'an unparseable value as text',
  );
  t.match(formatTime(null).value, /unknown/);
});
