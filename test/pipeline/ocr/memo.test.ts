// OCR's reading kept in the analysis memo (src/services/analysis-memo.ts): a post screenshot checked a
// third time is not read again, and its report has the same words; the signal built from them is there.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import t from 'tap';
import type { SafeFetcher } from '../../../src/net/safe-fetch.js';
import { keys } from '../../../src/keys.js';
import { tesseractInfo } from '../../../src/pipeline/ocr/tesseract.js';
import { createAnalysisMemo } from '../../../src/services/analysis-memo.js';
import type { MemoValue } from '../../../src/pipeline/process-check.js';
import { REDIS_URL, testConfig } from '../../helpers/app.js';
import { testMemory } from '../../helpers/memory.js';
import { testPipeline } from '../../helpers/pipeline.js';
import { postScreenshot } from '../../helpers/text-images.js';

const skip = (await tesseractInfo('tesseract')) ? false : 'tesseract is not installed';
const noFetch = {
  get: () => Promise.reject(new Error('no network in this test')),
} as unknown as SafeFetcher;

t.test('a screenshot checked a third time: its words from the memo, not read again', { skip }, async (t) => {
  const env = { OCR_ENABLED: 'true' };
  const config = testConfig(env);
  const { memory } = await testMemory(t, config);
  const redis = new Redis(REDIS_URL);
  t.teardown(() => redis.disconnect());
  const analysisMemo = createAnalysisMemo<MemoValue>({
    redis,
    keys: keys(config.keyPrefix),
    ttlSeconds: 600,
    settings: { ocr: config.ocr },
  });
  const pipeline = testPipeline({ fetcher: noFetch, memory, analysisMemo }, env);
  const shot = (await postScreenshot('eng', 2)).png;
  const sha = createHash('sha256').update(shot).digest('hex');
  const check = (id: string) =>
    pipeline.check({
      checkId: id,
      org: 'org_a',
      targets: [{ url: `upload:${sha}`, input: 'upload' }],
      uploads: async (s) => (s === sha ? shot : null),
    });
  const first = (await check('chk_1')).media[0];
  const second = (await check('chk_2')).media[0];
  const third = (await check('chk_3')).media[0];
  t.equal(first?.text?.status, 'read');
  t.ok(second?.timings_ms.text !== undefined, 'the second check read the words');
  t.equal(third?.timings_ms.text, undefined, 'the third did not run OCR');
  t.ok(third?.timings_ms.memo !== undefined, 'it read the memo');
  t.same(third?.text, first?.text, 'the same reading');
  t.ok(
    third?.provenance?.signals.some((s) => s.code === 'text_in_image'),
    'and the signal built from it',
  );
});
