// The words burned into a video, read from its keyframes through the pipeline as the CLI's analyze and the
// worker run it: a clip made here by ffmpeg (drawtext with Debian's DejaVu font) gets `text` with the
// caption, each line with the time of its keyframe; OCR_VIDEO_KEYFRAMES=0 reads none.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { SafeFetcher } from '../../../src/net/safe-fetch.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { generateClip } from './helpers.js';

const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf';
const skip = (await tesseractInfo('tesseract')) ? false : 'tesseract is not installed';
const noFetch = {
  get: () => Promise.reject(new Error('no network in this test')),
} as unknown as SafeFetcher;

t.test('a caption burned into a clip is read from its keyframe', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-kf-ocr-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const caption = (text: string, y: number) =>
    `drawtext=fontfile=${FONT}:text='${text}':fontcolor=white:fontsize=34:x=40:y=${y}`;
  const clip = generateClip([
    '-f',
    'lavfi',
    '-i',
    'color=c=0x1a3d6e:size=640x360:rate=10:duration=2',
    '-vf',
    `${caption('Flood closes the airport road', 120)},${caption('Drivers told to use @roads_kz', 190)}`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
  ]);
  const file = join(dir, 'clip.mp4');
  writeFileSync(file, clip);

  const item = (await testPipeline({ fetcher: noFetch }, { OCR_ENABLED: 'true' }).file(file)).media[0];
  t.equal(item?.status, 'ok');
  t.ok(item?.video, 'analyzed as a video');
  const text = item?.text;
  t.equal(text?.status, 'read');
  t.match(text?.text, /Flood closes the airport road/);
  t.ok(text?.found.handles.includes('@roads_kz'), `handles: ${text?.found.handles.join(', ')}`);
  const kf = item?.video?.keyframes[0];
  t.ok(kf, 'a keyframe');
  t.ok(
    text?.lines.length && text.lines.every((l) => l.timestamp === kf?.timestamp),
    'each line carries its keyframe’s time',
  );
  t.same(text?.keyframes, { total: item?.video?.keyframes.length, looked_at: 1, read: 1 });
  t.match(
    item?.provenance?.signals.find((s) => s.code === 'text_in_image')?.message,
    /^The video’s keyframes hold \d+ words of text in English, naming @roads_kz/,
  );

  const off = await testPipeline(
    { fetcher: noFetch },
    { OCR_ENABLED: 'true', OCR_VIDEO_KEYFRAMES: '0' },
  ).file(file);
  t.notOk(off.media[0]?.text, 'OCR_VIDEO_KEYFRAMES=0: the video’s text is not read');
});
