// Content Credentials on the c2pa-rs fixtures (see test/fixtures/LICENSES.md): what a fact-checker
// relies on for each, and that damaged or hostile files end in a verdict, never an exception or a hang.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { Value } from 'typebox/value';
import { ContentCredentials } from '../../../schemas/c2pa.js';
import {
  readContentCredentials,
  type ContentCredentialsOptions,
} from '../../../src/pipeline/analyze/c2pa.js';
import { cpuMs } from '../../helpers/cpu.js';

const dir = new URL('../../fixtures/c2pa/', import.meta.url);
const load = (name: string) => readFileSync(new URL(name, dir));
const MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  heic: 'image/heic',
  webp: 'image/webp',
  tiff: 'image/tiff',
};
const mimeOf = (name: string) => MIME[name.split('.').pop() ?? ''] ?? 'application/octet-stream';

async function read(bytes: Buffer, mime: string, options?: ContentCredentialsOptions) {
  const result = await readContentCredentials(bytes, mime, options);
  // Every result, whatever the input, must be a valid report section.
  if (!Value.Check(ContentCredentials, result)) {
    throw new Error(`schema: ${JSON.stringify(Value.Errors(ContentCredentials, result).slice(0, 3))}`);
  }
  return result;
}
const fixture = (name: string) => read(load(name), mimeOf(name));

// Deterministic pseudo-random bytes, so a failure can be replayed.
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 24;
  };
}
const noise = (n: number, next: () => number) => Buffer.from(Array.from({ length: n }, next));

/** Offsets and lengths of the APP11 (JUMBF) segments of a JPEG, markers included. */
function app11Segments(jpeg: Buffer): [number, number][] {
  const out: [number, number][] = [];
  for (let pos = 2; pos + 4 <= jpeg.length && jpeg[pos + 1] !== 0xda;) {
    const length = jpeg.readUInt16BE(pos + 2) + 2;
    if (jpeg[pos + 1] === 0xeb) out.push([pos, length]);
    pos += length;
  }
  return out;
}

/** A JPEG whose APP11 segments carry `jumbf`, split the way JPEG XT (and the library) expect. */
function jpegWithJumbf(jumbf: Buffer): Buffer {
  const parts = [Buffer.from([0xff, 0xd8])];
  for (let pos = 0, seq = 1; pos < jumbf.length; seq++) {
    const chunk = jumbf.subarray(pos, pos + 65000);
    pos += chunk.length;
    const head = Buffer.alloc(8);
    head.write('JP', 0, 'latin1');
    head.writeUInt16BE(1, 2);
    head.writeUInt32BE(seq, 4);
    // Continuation segments repeat the superbox's LBox and TBox.
    const body = Buffer.concat([head, seq === 1 ? Buffer.alloc(0) : jumbf.subarray(0, 8), chunk]);
    const marker = Buffer.from([0xff, 0xeb, 0, 0]);
    marker.writeUInt16BE(body.length + 2, 2);
    parts.push(marker, body);
  }
  parts.push(Buffer.from([0xff, 0xda, 0, 2]), Buffer.alloc(64), Buffer.from([0xff, 0xd9]));
  return Buffer.concat(parts);
}

const box = (type: string, payload: Buffer) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
};
// A JUMBF description box: UUID (here only its 4-character C2PA type matters), toggles, label.
const jumd = (kind: string, label: string) =>
  box(
    'jumd',
    Buffer.concat([
      Buffer.from(kind + '\0'.repeat(12), 'latin1'),
      Buffer.from([3]),
      Buffer.from(label + '\0'),
    ]),
  );
const superBox = (kind: string, label: string, ...children: Buffer[]) =>
  box('jumb', Buffer.concat([jumd(kind, label), ...children]));

/** `depth` superboxes each inside the previous, written in one pass (nesting by concat is quadratic). */
function nestedSuperBoxes(depth: number): Buffer {
  const description = jumd('c2ma', 'x');
  const level = 8 + description.length;
  const out = Buffer.alloc(depth * level);
  for (let i = 0; i < depth; i++) {
    out.writeUInt32BE((depth - i) * level, i * level);
    out.write('jumb', i * level + 4, 'latin1');
    description.copy(out, i * level + 8);
  }
  return out;
}

t.test('CA.jpg: valid claim with a parent ingredient, signer not trusted', async (t) => {
  const r = await fixture('CA.jpg');
  t.equal(r.present, true);
  t.equal(r.container, 'jpeg');
  t.equal(r.manifest_count, 1);
  t.match(r.validation, { status: 'valid', reason: null, signature: 'verified', content_hash: 'match' });
  t.same(r.validation.failure_codes, []);
  t.ok(r.validation.status_codes.some((c) => c.code === 'assertion.dataHash.match' && c.success));
  // Valid is not trusted: there is no trust list, whatever the library's status codes say.
  t.equal(r.trust.status, 'unknown');
  const m = r.active_manifest!;
  t.match(m, {
    type: 'standard',
    claim_generator: 'make_test_images/0.33.1 c2pa-rs/0.33.1',
    title: 'CA.jpg',
    format: 'image/jpeg',
    signing_time: '2024-08-06T21:53:37.000Z',
  });
  t.match(m.signer, {
    common_name: 'C2PA Signer',
    organization: 'C2PA Test Signing Cert',
    issuer_common_name: 'Intermediate CA',
    issuer_organization: 'C2PA Test Intermediate Root CA',
    chain_length: 2,
  });
  t.same(
    m.actions.map((a) => a.action),
    ['c2pa.opened', 'c2pa.color_adjustments'],
  );
  t.equal(m.ingredients.length, 1);
  t.match(m.ingredients[0], {
    title: 'A.jpg',
    format: 'image/jpeg',
    relationship: 'parentOf',
    manifest: null,
  });
  t.equal(r.ai_generated, false);
  t.match(r.note, /make_test_images.*C2PA Signer.*not checked against a trust list.*valid/);
  t.type(
    r.validation.duration_ms,
    'number',
    `the time the validation took is given: ${r.validation.duration_ms} ms`,
  );
});

t.test('XCA.jpg: pixels changed after signing', async (t) => {
  const r = await fixture('XCA.jpg');
  t.equal(r.present, true);
  t.match(r.validation, { status: 'data_hash_mismatch', signature: 'verified', content_hash: 'mismatch' });
  t.ok(r.validation.failure_codes.includes('assertion.dataHash.mismatch'));
  t.equal(r.active_manifest?.signer?.common_name, 'C2PA Signer');
});

t.test('E-sig-CA.jpg: claim signature does not verify, pixels are still those described', async (t) => {
  const r = await fixture('E-sig-CA.jpg');
  t.match(r.validation, { status: 'signature_mismatch', signature: 'mismatch', content_hash: 'match' });
  t.ok(r.validation.failure_codes.includes('claimSignature.mismatch'));
  // The tampered claim is still shown, as what the file claims.
  t.equal(r.active_manifest?.claim_generator, 'make_test_xxxxxx/0.33.1 c2pa-rs/0.33.1');
});

t.test('files without a manifest store', async (t) => {
  for (const [name, container] of [
    ['IMG_0003.jpg', 'jpeg'],
    ['earth_apollo17.jpg', 'jpeg'],
    ['sample1.png', 'png'],
    ['sample1.heic', 'heif'],
  ] as const) {
    const r = await fixture(name);
    t.equal(r.present, false, name);
    t.equal(r.container, container, name);
    t.equal(r.validation.status, 'not_checked', name);
    t.equal(r.active_manifest, null, name);
    t.equal(r.ai_generated, null, name);
    t.match(r.note, /^No Content Credentials/, name);
  }
});

t.test('formats the reader cannot open are "not checked", never "no credentials"', async (t) => {
  for (const name of ['mars.webp', 'test_xmp.webp', 'test.tiff']) {
    const r = await fixture(name);
    t.equal(r.present, null, name);
    t.equal(r.container, null, name);
    t.equal(r.validation.status, 'not_checked', name);
    t.match(r.validation.reason, /format not supported by the C2PA reader \(image\/(webp|tiff)\)/, name);
    t.notMatch(r.note, /^No /, name);
  }
  // A store in a format we cannot open is still reported as present.
  const marked = Buffer.concat([load('mars.webp'), box('jumb', jumd('c2pa', 'c2pa'))]);
  const r = await read(marked, 'image/webp');
  t.equal(r.present, true);
  t.equal(r.validation.status, 'not_checked');
  t.match(r.note, /embedded but was not checked/);
});

t.test('the store marker is found wherever it is, and only whole', async (t) => {
  // `jumd` then `c2pa`: at the very start, at the very end, after a `c2pa` without its box type, or split
  // by a byte (not a marker), in a format the reader cannot open (so only the marker says "present").
  const webp = load('mars.webp');
  const cases: Array<[string, Buffer, true | null]> = [
    ['at the start', Buffer.concat([Buffer.from('jumdc2pa'), webp]), true],
    ['at the end', Buffer.concat([webp, Buffer.from('jumdc2pa')]), true],
    ['after a lone c2pa', Buffer.concat([webp, Buffer.from('c2pa..jumdc2pa')]), true],
    ['c2pa alone', Buffer.concat([Buffer.from('c2pa'), webp, Buffer.from('xjumc2pa c2pa')]), null],
    ['split', Buffer.concat([webp, Buffer.from('jumd c2pa')]), null],
  ];
  for (const [name, bytes, present] of cases)
    t.equal((await read(bytes, 'image/webp')).present, present, name);
});

t.test(
  'in a JPEG the store marker is searched where a store can be: its header and after its end',
  async (t) => {
    // A JPEG's store is in APP11 segments, before the image data: the header (up to SOS) and what follows
    // the last EOI are searched, the entropy-coded data between them (most of the file) is not.
    const jpeg = load('earth_apollo17.jpg');
    t.equal((await read(jpeg, 'image/jpeg')).present, false, 'no store');
    const marker = Buffer.from('jumdc2pa');
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, marker.length + 2]), marker]);
    const inHeader = Buffer.concat([jpeg.subarray(0, 2), comment, jpeg.subarray(2)]);
    t.equal((await read(inHeader, 'image/jpeg')).present, true, 'in a header segment');
    t.equal((await read(Buffer.concat([jpeg, marker]), 'image/jpeg')).present, true, 'after EOI');
    const mid = jpeg.length >> 1;
    const inData = Buffer.concat([jpeg.subarray(0, mid), marker, jpeg.subarray(mid)]);
    t.equal((await read(inData, 'image/jpeg')).present, false, 'inside the image data: not a store');
    // A header that cannot be walked (cut before its image data) is searched whole.
    const cut = Buffer.concat([inHeader.subarray(0, 40), marker]);
    t.equal((await read(cut, 'image/jpeg')).present, true, 'header cut short');
  },
);

t.test('CACA.jpg: the library throws; the chained claims are still read', async (t) => {
  const r = await fixture('CACA.jpg');
  t.equal(r.present, true);
  t.equal(r.manifest_count, 2);
  t.equal(r.validation.status, 'could_not_validate');
  t.match(r.validation.reason, /^reader error: .*Failed to deserialize signature content/);
  t.same(r.validation.failure_codes, [], 'where the reader stopped is not a verdict');
  const m = r.active_manifest!;
  t.match(m, { claim_version: 2, claim_generator: 'make_test_images 0.67.1', title: 'CACA.jpg' });
  t.equal(m.signer?.common_name, 'C2PA Signer');
  t.equal(m.ingredients.length, 1);
  t.match(m.ingredients[0], {
    title: 'CA.jpg',
    relationship: 'parentOf',
    manifest: {
      title: 'CA.jpg',
      claim_generator: 'make_test_images 0.67.1',
      signer_common_name: 'C2PA Signer',
    },
  });
  // What the signing tool recorded about its ingredient when it made CACA.jpg.
  t.ok(m.ingredients[0]?.recorded_validation_codes.includes('signingCredential.untrusted'));
});

t.test('C_with_CAWG_data.jpg: could not validate; camera capture, AI training not allowed', async (t) => {
  const r = await fixture('C_with_CAWG_data.jpg');
  t.equal(r.present, true);
  t.equal(r.validation.status, 'could_not_validate');
  const m = r.active_manifest!;
  t.equal(m.claim_generator, 'c2pa cawg test 0.58.0');
  t.match(m.actions, [
    {
      action: 'c2pa.created',
      digital_source_type: 'http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture',
    },
  ]);
  t.same(m.training_mining, [
    { purpose: 'cawg.ai_inference', choice: 'notAllowed' },
    { purpose: 'cawg.ai_generative_training', choice: 'notAllowed' },
  ]);
  t.ok(m.assertion_labels.includes('cawg.identity'));
  // A training permission is not a generation marker.
  t.equal(r.ai_generated, false);
});

t.test('no_alg.jpg: could not validate, v2 actions with when and software agent', async (t) => {
  const r = await fixture('no_alg.jpg');
  t.match(r.validation, { status: 'could_not_validate', reason: /algorithm\.unsupported/ });
  t.match(r.active_manifest?.actions[0], {
    action: 'c2pa.created',
    software_agent: 'Image Editing Tool',
    when: '2025-04-13T08:59:06.239656Z',
  });
});

t.test('ocsp.jpg: Photoshop edit of a Firefly image is marked AI', async (t) => {
  const r = await fixture('ocsp.jpg');
  t.equal(r.manifest_count, 2);
  const m = r.active_manifest!;
  t.equal(m.claim_generator, 'Adobe_Photoshop/26.9.0 adobe_c2pa/0.14.2 c2pa-rs/0.43.0');
  t.same(m.claim_generator_info, [{ name: 'Adobe Photoshop', version: '26.9.0' }]);
  t.match(m.signer, { common_name: 'Adobe C2PA', organization: 'Adobe Inc.' });
  t.equal(m.signing_time, '2025-08-13T16:30:55.000Z');
  t.match(m.actions, [
    { action: 'c2pa.opened', digital_source_type: /compositeWithTrainedAlgorithmicMedia$/ },
    { action: 'c2pa.cropped' },
    { action: 'c2pa.edited', software_agent: 'Adobe Firefly' },
  ]);
  t.match(m.ingredients[0], {
    relationship: 'componentOf',
    manifest: { claim_generator: /^Adobe_Firefly/, title: 'Generated image', ai_generated: true },
  });
  t.equal(r.ai_generated, true);
  t.ok(
    r.ai_evidence.some(
      (e) => e.action === 'c2pa.created' && /trainedAlgorithmicMedia$/.test(e.digital_source_type),
    ),
  );
  t.ok(r.ai_evidence.some((e) => e.action === 'c2pa.edited'));
  // The library rejects Photoshop's opened action without ingredients; signature and pixels hold.
  t.match(r.validation, { status: 'invalid', signature: 'verified', content_hash: 'match' });
  t.same(r.validation.failure_codes, ['assertion.action.ingredientMismatch']);
});

t.test('adobe-20220124-E-clm-CAICAI.jpg: ingredient points at a claim that is not there', async (t) => {
  const r = await fixture('adobe-20220124-E-clm-CAICAI.jpg');
  t.equal(r.validation.status, 'invalid');
  t.ok(r.validation.failure_codes.includes('assertion.hashedURI.mismatch'));
  const ingredients = r.active_manifest!.ingredients;
  t.equal(ingredients.length, 2);
  t.match(ingredients[1], { title: 'CAI.jpg', relationship: 'componentOf', manifest_label: /^contentbeef:/ });
  t.equal(ingredients[1]?.manifest, null);
  t.same(
    r.active_manifest!.actions.map((a) => a.action),
    ['c2pa.opened', 'c2pa.color_adjustments', 'c2pa.placed', 'c2pa.resized'],
  );
});

t.test('update_manifest.jpg: an update manifest over an earlier claim', async (t) => {
  const r = await fixture('update_manifest.jpg');
  t.equal(r.manifest_count, 2);
  t.match(r.active_manifest, { type: 'update', claim_generator: 'claim_v2_unit_test' });
  t.match(r.validation, { status: 'invalid', content_hash: 'not_checked' });
  t.ok(r.validation.failure_codes.includes('manifest.update.wrongParents'));
  t.match(r.active_manifest?.ingredients[0], {
    relationship: 'parentOf',
    manifest: { claim_generator: 'adobe unit test' },
  });
});

t.test('damaged manifest stores give a verdict, never an exception', async (t) => {
  const ca = load('CA.jpg');
  const segments = app11Segments(ca);
  t.equal(segments.length, 2);
  const [[first, firstLength], [second, secondLength]] = segments as [[number, number], [number, number]];

  // Cut inside the first APP11 segment: the JPEG itself is truncated there.
  for (const cut of [first + 40, first + 5000, second + 100]) {
    const r = await read(ca.subarray(0, cut), 'image/jpeg');
    t.equal(r.present, true, `cut at ${cut}`);
    t.equal(r.validation.status, 'could_not_validate', `cut at ${cut}`);
  }
  // The second segment dropped: the JPEG is whole, the store is not.
  const dropped = Buffer.concat([ca.subarray(0, second), ca.subarray(second + secondLength)]);
  t.match(await read(dropped, 'image/jpeg'), {
    present: true,
    validation: { status: 'could_not_validate', reason: /damaged or truncated/ },
  });
  // Bytes flipped inside the JUMBF.
  const next = prng(7);
  const allowed = ['could_not_validate', 'signature_mismatch', 'data_hash_mismatch', 'invalid', 'valid'];
  for (let i = 0; i < 16; i++) {
    const b = Buffer.from(ca);
    for (let j = 0; j <= i % 4; j++) {
      const at = first + 4 + (((next() << 16) | (next() << 8) | next()) % (firstLength + secondLength - 4));
      b[at] = next();
    }
    const r = await read(b, 'image/jpeg');
    t.ok(allowed.includes(r.validation.status), `flip ${i}: ${r.validation.status}`);
  }
  // The JUMBF header itself garbled.
  const garbled = Buffer.from(ca);
  garbled.fill(0xff, first + 12, first + 20);
  t.not((await read(garbled, 'image/jpeg')).validation.status, 'valid');
});

t.test('random bytes and wrong containers', async (t) => {
  const next = prng(42);
  for (const [mime, head] of [
    ['image/jpeg', Buffer.alloc(0)],
    ['image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xeb])],
    ['image/png', Buffer.from('89504e470d0a1a0a', 'hex')],
    ['image/heic', Buffer.from('0000001866747970686569630000000068656963', 'hex')],
    ['image/gif', Buffer.from('GIF89a')],
  ] as const) {
    for (const size of [0, 1, 100, 3000]) {
      const r = await read(Buffer.concat([head, noise(size, next)]), mime);
      t.not(r.present, true, `${mime} + ${size}`);
      t.ok(['could_not_validate', 'not_checked'].includes(r.validation.status), `${mime} + ${size}`);
    }
  }
  const r = await read(Buffer.from('not an image'), 'image/jpeg');
  t.match(r, {
    present: null,
    validation: { status: 'could_not_validate', reason: /not a readable image\/jpeg/ },
  });
});

t.test('hostile JUMBF structure is refused before the parser', async (t) => {
  // 50,000 nested superboxes cost the library's parser 45 s; the pre-scan refuses them at once.
  const nested = jpegWithJumbf(superBox('c2pa', 'c2pa', nestedSuperBoxes(50_000)));
  const { value: deep, ms: deepMs } = await cpuMs(() => read(nested, 'image/jpeg'));
  t.match(deep, {
    present: true,
    validation: { status: 'could_not_validate', reason: /nested more than 16 deep/ },
  });
  t.ok(deepMs < 2000, `refused after ${deepMs.toFixed(0)} ms of CPU`);

  const many = Array.from({ length: 30_000 }, (_, i) => superBox('c2ma', `m${i}`));
  const { value: wide, ms: wideMs } = await cpuMs(() =>
    read(jpegWithJumbf(superBox('c2pa', 'c2pa', ...many)), 'image/jpeg'),
  );
  t.match(wide, {
    present: true,
    validation: { status: 'could_not_validate', reason: /more than 20000 JUMBF boxes/ },
  });
  t.ok(wideMs < 2000, `refused after ${wideMs.toFixed(0)} ms of CPU`);

  // Within the limits but empty manifests: the library throws, we report.
  const few = await read(jpegWithJumbf(superBox('c2pa', 'c2pa', superBox('c2ma', 'only'))), 'image/jpeg');
  t.match(few, { present: true, manifest_count: 1, validation: { status: 'could_not_validate' } });
});

t.test('strings from the file are cleaned', async (t) => {
  // Same-length substitutions inside the claim's claim_generator text keep the CBOR well formed.
  const ca = Buffer.from(load('CA.jpg'));
  const at = ca.indexOf('make_test_images/0.33.1 c2pa-rs', 0, 'latin1');
  t.ok(at > 0);
  ca.set([0x07], at + 4); // BEL
  ca.set([0xe2, 0x80, 0xae], at + 9); // U+202E RIGHT-TO-LEFT OVERRIDE
  const r = await read(ca, 'image/jpeg');
  t.equal(r.validation.status, 'signature_mismatch', 'the claim was altered');
  t.equal(r.active_manifest?.claim_generator, 'make test ages/0.33.1 c2pa-rs/0.33.1');
});

t.test('limits: size, store size, time', async (t) => {
  const ca = load('CA.jpg');
  t.match(await read(ca, 'image/jpeg', { maxBytes: 1000 }), {
    present: null,
    validation: { status: 'not_checked', reason: /larger than 1000 bytes/ },
  });
  t.match(await read(ca, 'image/jpeg', { maxManifestBytes: 1000 }), {
    present: true,
    validation: { status: 'could_not_validate', reason: /manifest store larger than 1000 bytes/ },
  });
  const slow = await read(ca, 'image/jpeg', { timeoutMs: 1 });
  t.match(slow, { present: true, validation: { status: 'could_not_validate', reason: /longer than 1 ms/ } });
  t.equal(slow.active_manifest?.claim_generator, 'make_test_images/0.33.1 c2pa-rs/0.33.1');
});

t.test('a Buffer that is a slice of a larger allocation', async (t) => {
  const ca = load('CA.jpg');
  const pool = Buffer.alloc(ca.length + 100);
  ca.copy(pool, 37);
  const r = await read(pool.subarray(37, 37 + ca.length), 'image/jpeg; charset=binary');
  t.equal(r.validation.status, 'valid');
});
