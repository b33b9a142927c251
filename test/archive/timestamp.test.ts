// Trusted timestamps: the digest of an archive's datapackage.json, signed by a stand-in RFC 3161
// authority with its own certificate (test/helpers/tsa.ts); the token is in the WACZ and verifies
// against that certificate, and against nothing else.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import t, { type Test } from 'tap';
import { archiveCheck, SOFTWARE } from '../../src/archive/archive-check.js';
import { createDirectoryStore } from '../../src/archive/store.js';
import { createTimestamper, verifyTimestampToken } from '../../src/archive/timestamp.js';
import { createWarcRecorder } from '../../src/archive/warc-recorder.js';
import { createSafeFetcher } from '../../src/net/safe-fetch.js';
import { testPipeline } from '../helpers/pipeline.js';
import { startMediaServer } from '../helpers/media-server.js';
import { makeCertificate, startTsa } from '../helpers/tsa.js';
import { verifyWacz } from '../helpers/wacz-reader.js';

const log = pino({ level: 'silent' });

async function setup(t: Test) {
  const dir = await mkdtemp(join(tmpdir(), 'firstseen-tsa-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const fetcher = createSafeFetcher({
    maxBytes: 8 << 20,
    connectTimeoutMs: 1000,
    timeoutMs: 5000,
    maxRedirects: 2,
    userAgent: 'firstseen-test',
    allowLoopback: true,
    allowedNetworks: [],
  });
  t.teardown(() => fetcher.close());
  const tsa = await startTsa(t);
  const certFile = join(dir, 'tsa.pem');
  await writeFile(certFile, tsa.pem);
  return { dir, fetcher, tsa, certFile };
}

t.test('an archive timestamped by the stand-in authority, verified against its certificate', async (t) => {
  const { dir, fetcher, tsa, certFile } = await setup(t);
  const media = await startMediaServer(t);
  const url = `${media.base}/exif-samples/jpg/Canon_40D.jpg`;
  const recorder = await createWarcRecorder({
    checkId: 'chk_tsa',
    maxBytes: 1 << 24,
    software: SOFTWARE,
    log,
  });
  // No platform is involved: the image's host is the only one.
  const report = await testPipeline({ fetcher }).check({
    checkId: 'chk_tsa',
    org: 'o',
    targets: [{ url, input: url }],
    recorder,
  });
  t.equal(report.media[0]?.status, 'ok');
  const before = Date.now();
  const store = createDirectoryStore(join(dir, 'archives'), 0);
  const summary = await archiveCheck({
    recorder,
    store,
    org: 'o',
    report,
    timestamper: createTimestamper({ url: tsa.url, fetcher, certFile, log }),
  });
  t.equal(tsa.requests, 1);
  t.ok(summary.timestamp, 'the report says it was timestamped');
  t.equal(summary.timestamp?.authority, tsa.url, 'by which authority');
  const time = Date.parse(summary.timestamp?.time ?? '');
  t.ok(time >= before - 1000 && time <= Date.now() + 1000, 'and when');

  const wacz = await verifyWacz(await buffer((await store.get('o', 'chk_tsa'))!.stream));
  const stamp = wacz.digest.timestamp as { token: string; hash: string; authority: string; time: string };
  t.equal(stamp.hash, summary.datapackage_hash, 'the token in the package covers datapackage.json');
  const datapackageSha = createHash('sha256')
    .update(wacz.entries.get('datapackage.json')!.data)
    .digest('hex');
  t.equal(stamp.hash, `sha256:${datapackageSha}`);
  const token = Buffer.from(stamp.token, 'base64');
  const datapackage = wacz.entries.get('datapackage.json')!.data;
  const verified = await verifyTimestampToken(token, datapackage, { trusted: [tsa.certificate] });
  t.equal(verified.time.toISOString(), summary.timestamp?.time);
  t.equal(verified.serial, summary.timestamp?.serial);

  // The same token says nothing about other bytes, and does not chain to another authority.
  const other = Buffer.from('another datapackage');
  await t.rejects(verifyTimestampToken(token, other, { trusted: [tsa.certificate] }), /another digest/);
  const stranger = await makeCertificate('some other authority');
  await t.rejects(verifyTimestampToken(token, datapackage, { trusted: [stranger.cert] }), /does not verify/);
  // A flipped byte in the signed content breaks the signature.
  const tampered = Buffer.from(token);
  const at = tampered.indexOf(Buffer.from(datapackageSha, 'hex'));
  t.ok(at > 0);
  tampered[at + 40] = (tampered[at + 40] as number) ^ 1;
  await t.rejects(verifyTimestampToken(tampered, datapackage, { trusted: [tsa.certificate] }));
});

t.test('no timestamp when the authority refuses or is not the configured one', async (t) => {
  const { fetcher, tsa, certFile, dir } = await setup(t);
  const hash = Buffer.from('{"profile": "data-package"}');
  tsa.refuse = true;
  t.equal(await createTimestamper({ url: tsa.url, fetcher, certFile, log }).stamp(hash), null, 'refused');
  tsa.refuse = false;
  const strangerPem = join(dir, 'stranger.pem');
  await writeFile(strangerPem, (await makeCertificate('some other authority')).pem);
  t.equal(
    await createTimestamper({ url: tsa.url, fetcher, certFile: strangerPem, log }).stamp(hash),
    null,
    'a token that does not chain to TSA_CERT_FILE is not kept',
  );
  const ok = await createTimestamper({ url: tsa.url, fetcher, certFile: '', log }).stamp(hash);
  t.ok(ok?.summary.time, 'without TSA_CERT_FILE the token is checked against its own certificate');
});
