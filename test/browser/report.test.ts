// A fact-checker in a real browser (Debian's chromium driven by playwright-core), with JavaScript
// off: signs in with the API key, submits a link on the form, lands on the report as it finishes,
// sees the signals and, for a second copy of the same image, the match side by side; then uploads a
// file from the form. A hostile EXIF
// field shows as text. Screenshots go to test/artifacts/ (not committed) for people to look at.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { storeThumbnail } from '../../src/services/thumbnails.js';
import { buildTestServer, submit, TEST_KEY, waitForCheck } from '../helpers/app.js';
import { fixture } from '../helpers/images.js';
import { startMediaServer } from '../helpers/media-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');
const HOSTILE = '<script>alert(1)</script>';

const playwright = await import('playwright-core').catch(() => null);
const skip = !existsSync(CHROMIUM)
  ? `no browser at ${CHROMIUM}: apt-get install -y chromium`
  : !playwright
    ? 'playwright-core is not installed: npm install --save-dev playwright-core'
    : false;

t.test('the form, a report page, a match side by side, and a hostile EXIF string', { skip }, async (t) => {
  const { app, config } = await buildTestServer(t, { RECYCLED_MARGIN_HOURS: '0' });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  const photo = fixture('exif-samples/jpg/gps/DSCN0010.jpg');
  const hostile = await sharp(fixture('exif-samples/jpg/gps/DSCN0021.jpg'))
    .jpeg()
    .withExif({ IFD0: { Artist: HOSTILE, Copyright: '"><img src=x onerror=alert(2)>' } })
    .toBuffer();
  const jpeg = (bytes: Buffer) => (_q: unknown, r: ServerResponse) =>
    r.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes);
  const media = await startMediaServer(t, {
    '/news/flood.jpg': jpeg(photo),
    '/repost/copy.jpg': jpeg(photo),
    '/hostile.jpg': jpeg(hostile),
  });
  // The pipeline keeps these as it analyzes; kept here first so the test is about the page alone.
  for (const bytes of [photo, hostile]) {
    const sha = createHash('sha256').update(bytes).digest('hex');
    t.equal(await storeThumbnail(app.redis, config.keyPrefix, sha, bytes), 'stored');
  }

  // The hostile file is checked through the API meanwhile: its page is visited once it is done.
  const hostileCheck = submit(app, { url: `${media.base}/hostile.jpg` }).then((res) =>
    waitForCheck(app, res.json().id as string),
  );

  const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.teardown(() => browser.close());
  const context = await browser.newContext({
    httpCredentials: { username: 'newsroom', password: TEST_KEY },
    javaScriptEnabled: false,
    viewport: { width: 1200, height: 900 },
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  mkdirSync(ARTIFACTS, { recursive: true });

  async function submitOnForm(url: string, screenshot?: string) {
    await page.goto(`${base}/`);
    if (screenshot) await page.screenshot({ path: resolve(ARTIFACTS, screenshot) });
    await page.fill('#input', url);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/checks\/chk_/);
    // The page says "Checking…" and reloads itself until the report is there.
    await page.locator('h1', { hasText: 'Provenance report' }).waitFor({ timeout: 20000 });
  }

  await submitOnForm(`${media.base}/news/flood.jpg`, 'form.png');
  const high = page.locator('.signal[data-code="capture_predates_post"]');
  t.match(await high.textContent(), /High severity.*EXIF capture date/, 'a high signal, by word and colour');
  t.match(
    await page.locator('.signal[data-code="gps_present"]').textContent(),
    /Info severity.*GPS position/,
  );
  t.match(await page.locator('.earliest').textContent(), /22 Oct 2008, 16:28:39 no time zone/);
  t.ok(await page.locator('a', { hasText: 'Show on OpenStreetMap' }).isVisible(), 'GPS with a map link');
  await page.screenshot({ path: resolve(ARTIFACTS, 'report-first.png'), fullPage: true });

  await submitOnForm(`${media.base}/repost/copy.jpg`);
  t.match(await page.locator('.signal[data-code="recycled"]').textContent(), /High severity/);
  const match = page.locator('.match[data-kind="exact"]');
  t.match(await match.textContent(), /Exact: the very same file/);
  t.match(await match.textContent(), `${media.base}/news/flood.jpg`, 'where it was first seen');
  const pictures = match.locator('img');
  t.equal(await pictures.count(), 2, 'this image and the one seen before, side by side');
  for (const img of await pictures.all()) {
    t.ok(
      await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth > 0),
      'thumbnail loaded',
    );
  }
  await page.screenshot({ path: resolve(ARTIFACTS, 'report.png'), fullPage: true });

  // A file from the person's own computer, chosen on the same form: the photo saved again as PNG (its
  // EXIF gone), as it comes out of a chat app. It is found as the same picture as the one seen first.
  const resaved = await sharp(photo).png().toBuffer();
  await page.goto(`${base}/`);
  await page.setInputFiles('#file', { name: 'from-chat.png', mimeType: 'image/png', buffer: resaved });
  await page.click('button[type=submit]');
  await page.waitForURL(/\/checks\/chk_/);
  await page.locator('h1', { hasText: 'Provenance report' }).waitFor({ timeout: 20000 });
  t.ok(await page.getByText('from-chat.png').first().isVisible(), 'the uploaded file, by its name');
  const near = page.locator('.match[data-kind="near_duplicate"]');
  t.ok((await near.count()) >= 1, 'matched as the same picture');
  t.match(await near.first().textContent(), `${media.base}/news/flood.jpg`, 'first seen on the news site');
  await page.screenshot({ path: resolve(ARTIFACTS, 'report-upload.png'), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: resolve(ARTIFACTS, 'report-print.png'), fullPage: true });
  await page.emulateMedia({ media: 'screen' });

  await page.goto(`${base}/checks/${(await hostileCheck).id as string}`);
  t.equal(await page.locator('script').count(), 0, 'no script element in the DOM');
  t.equal(await page.locator('img[src="x"]').count(), 0, 'no injected image');
  t.ok(await page.getByText(HOSTILE, { exact: true }).isVisible(), 'the EXIF Artist shows as text');
  t.same(dialogs, [], 'nothing ran');
  await page
    .locator('table', { hasText: 'Artist' })
    .screenshot({ path: resolve(ARTIFACTS, 'hostile-exif.png') });
});
