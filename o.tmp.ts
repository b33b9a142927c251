import { readText } from './src/pipeline/ocr/index.js';
import { postScreenshot, degrade, meme, sign } from './test/helpers/text-images.js';
const opts = { path: 'tesseract', timeoutMs: 20000, memoryMb: 2048, maxOutputBytes: 4 << 20, languages: ['eng','rus','ukr','kaz','lit','ara','fra','spa','deu'], maxPixels: 8e6, maxInputPixels: 1e8 };
for (const lang of ['eng','lit','rus','kaz','arb'] as const) {
  const s = await postScreenshot(lang, 1, {});
  for (const [k, b] of [['clean', s.png], ['deg', await degrade(s.png, s.width)]] as const) {
    const tm = {};
    const r = await readText(b, opts, tm);
    console.log(lang, k, r.status, r.models, r.languages, r.script, JSON.stringify(tm), JSON.stringify(r.found));
    console.log('  ', r.text.replace(/\n/g, ' | '));
  }
  console.log('  T', s.truth.text);
}
const m = await readText(await meme('exifr/door-knocker.jpg', 'WHEN THE NEWS IS FAKE', 'BUT THE PHOTO IS REAL'), opts);
console.log('meme', m.text);
const g = await readText(await sign('pdq/dih/bridge-1-original.jpg', ['MAIN STREET', 'CLOSED 12 MAY']), opts);
console.log('sign', g.text);
