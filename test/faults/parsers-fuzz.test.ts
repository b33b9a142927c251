// Issue 16: a seeded fuzz pass over every parser of outside text, at the largest input the service
// takes, with adversarial generators (long runs of one character, URL punctuation, nested brackets and
// tags, many attributes, deep XML, quoted CSV fields…). Each input must be read without an exception
// escaping and without holding the event loop over 200 ms (test/helpers/event-loop.ts).
// Seeded and reproducible: the seed is printed, `FUZZ_SEED=<seed> npx tap test/faults/parsers-fuzz.test.ts`
// replays it. `npm test` gives it FUZZ_MS of 8 s in all (at least one input per parser); `npm run
// test:faults` sets a longer FUZZ_MS. A failing input is written to a temporary file named in the failure.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readXmp } from '../../src/pipeline/analyze/metadata/xmp.js';
import { MAX_XMP_CHARS } from '../../src/pipeline/analyze/metadata/rdf.js';
import { cleanText } from '../../src/pipeline/analyze/metadata/text.js';
import { decodeEntities, readHtml, textOf } from '../../src/pipeline/resolve/html.js';
import { HTML_MAX_BYTES, JSON_MAX_BYTES } from '../../src/pipeline/resolve/http.js';
import { clip, httpUrl, isoDate, MAX_TEXT_LENGTH } from '../../src/pipeline/resolve/untrusted.js';
import { MAX_TEXT_CHARS, targetsOf } from '../../src/services/targets.js';
import { readVpdq } from '../../src/similarity/vpdq.js';
import { readHashCsv } from '../../src/services/hash-csv.js';
import { CsvError } from 'csv-parse';
import { MAX_STALL_MS, measureStalls } from '../helpers/event-loop.js';
import { prng } from '../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BUDGET_MS = Number(process.env.FUZZ_MS ?? 8_000);
const MiB = 1024 * 1024;
t.comment(`parsers fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED}), budget ${BUDGET_MS} ms`);

const COMMON = [
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\u0000',
  '\u202e',
  '\ud800',
  'a',
  '1',
  '&',
  ';',
  '"',
  "'",
  '\\',
  '…',
];
const URLISH = [
  'https://a.example/',
  'http://',
  'pic.twitter.com/',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  '.',
  ',',
  ':',
  '?',
  '!',
  '»',
  '”',
  '’',
  '/',
  '#',
  '%',
];
const HTMLISH = [
  '<p>',
  '</p>',
  '<title>',
  '</title>',
  '<a href="',
  '">',
  '<br>',
  '<div class="a b">',
  '</div>',
  '<meta property="og:title" content="',
  '&amp;',
  '&#x1F600;',
  '&nbsp;',
  '<!--',
  '-->',
  '<script>',
  '</script>',
  ' x=1',
  ' y="',
  '<',
  '>',
  '=',
  '<span ',
];
const XMLISH = [
  '<rdf:li>',
  '</rdf:li>',
  '<a:b xmlns:a="urn:a">',
  '</a:b>',
  ' p:q="&amp;"',
  ' xmlns:p="urn:p"',
  '<![CDATA[',
  ']]>',
  '<?x ',
  '?>',
  '<!DOCTYPE ',
  '<rdf:Description ',
  '/>',
  '</',
  '<',
  '>',
  '="',
  '&lt;',
  '&#1114111;',
];
const CSVISH = ['"', '""', ',', '\n', '\r\n', 'ab'.repeat(32), '90', 'label', '2020-01-01', '\ufeff'];
const VPDQISH = ['0,', '100,', 'ab'.repeat(32), ',0.000', '\n', '#', ' ', '1', '.', ','];

/** An input of exactly about `size` characters: a random pattern of fragments repeated, with noise. */
function generate(rnd: () => number, size: number, alphabet: string[]): string {
  const pick = () =>
    (rnd() < 0.2 ? COMMON : alphabet)[Math.floor(rnd() * (rnd() < 0.2 ? COMMON.length : alphabet.length))] ??
    'x';
  const kind = Math.floor(rnd() * 4);
  let pattern = '';
  if (kind === 0)
    pattern = pick(); // a long run of one fragment
  else if (kind === 1)
    pattern = pick() + pick(); // an alternation
  else for (let n = 1 + Math.floor(rnd() * 12); n > 0; n--) pattern += pick();
  const prefix = kind === 3 ? Array.from({ length: 8 }, pick).join('') : '';
  let s =
    prefix + pattern.repeat(Math.max(1, Math.floor((size - prefix.length) / Math.max(1, pattern.length))));
  // Nesting: opening fragments first, closing ones after (brackets, tags).
  if (rnd() < 0.3) s = s.slice(0, s.length >> 1) + [...s.slice(0, s.length >> 1)].reverse().join('');
  // A few random characters spliced in.
  const chars = [...s.slice(0, 64)];
  for (let k = Math.floor(rnd() * 4); k > 0; k--) chars.splice(Math.floor(rnd() * chars.length), 0, pick());
  s = chars.join('') + s.slice(64);
  return Buffer.from(s.slice(0, size)).toString(); // flat, as a decoded body is
}

interface Target {
  name: string;
  size: number;
  alphabet: string[];
  /** Reads the input; `bytes` is the input as UTF-8, made before the measurement (bodies arrive as bytes). */
  run: (input: string, bytes: Buffer) => unknown;
  /** Errors that are the parser's answer (refusing the input), not an escape. */
  expected?: (err: unknown) => boolean;
}

const TARGETS: Target[] = [
  {
    name: 'targetsOf (submitted text)',
    size: MAX_TEXT_CHARS,
    alphabet: URLISH,
    run: (s) => targetsOf({ text: s }),
  },
  {
    name: 'page HTML (readHtml + textOf)',
    size: HTML_MAX_BYTES,
    alphabet: HTMLISH,
    run: async (s) => textOf(await readHtml(s)),
  },
  {
    name: 'platform JSON strings (clip, decodeEntities, httpUrl, isoDate)',
    size: JSON_MAX_BYTES,
    alphabet: [...URLISH, ...HTMLISH],
    run: (s) => [clip(s, MAX_TEXT_LENGTH), decodeEntities(s, MAX_TEXT_LENGTH), httpUrl(s), isoDate(s)],
  },
  { name: 'XMP (readXmp)', size: MAX_XMP_CHARS, alphabet: XMLISH, run: (s) => readXmp([s]) },
  { name: 'EXIF/IPTC strings (cleanText)', size: 4 * MiB, alphabet: COMMON, run: (s) => cleanText(s) },
  {
    name: 'hash CSV (readHashCsv)',
    // The import routes' body cap (src/routes/banks/index.ts).
    size: 8 * MiB,
    alphabet: CSVISH,
    run: (_s, bytes) => readHashCsv(bytes),
    expected: (err) => err instanceof CsvError,
  },
  { name: 'vPDQ (readVpdq)', size: 8 * MiB, alphabet: VPDQISH, run: (_s, bytes) => readVpdq(bytes) },
];

const dir = mkdtempSync(join(tmpdir(), 'firstseen-parsers-fuzz-'));

for (const [k, target] of TARGETS.entries()) {
  t.test(target.name, async (t) => {
    const rnd = prng(SEED + k);
    const until = performance.now() + BUDGET_MS / TARGETS.length;
    let inputs = 0;
    let worst = 0;
    do {
      const input = generate(rnd, target.size, target.alphabet);
      const bytes = Buffer.from(input);
      const keep = () => {
        const file = join(dir, `${k}-${inputs}.txt`);
        writeFileSync(file, input);
        return file;
      };
      let escaped: unknown;
      const { stalls } = await measureStalls(async () => {
        try {
          await target.run(input, bytes);
        } catch (err) {
          if (!target.expected?.(err)) escaped = err;
        }
      });
      inputs++;
      worst = Math.max(worst, stalls.blockMs);
      if (escaped !== undefined) {
        t.fail(
          `input ${inputs} threw: ${escaped instanceof Error ? escaped.stack : JSON.stringify(escaped)} (input in ${keep()})`,
        );
        return;
      }
      if (stalls.blockMs > MAX_STALL_MS) {
        t.fail(
          `input ${inputs} held the event loop ${stalls.blockMs.toFixed(0)} ms of CPU (input in ${keep()})`,
        );
        return;
      }
    } while (performance.now() < until);
    t.pass(`${inputs} inputs of ${target.size} characters, longest block ${worst.toFixed(0)} ms of CPU`);
  });
}
