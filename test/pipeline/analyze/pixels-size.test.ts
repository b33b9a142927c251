// The analysis' pixels carry the picture's upright size as its file declares it (`size`), which OCR reads
// instead of asking the file again (readText): the size sharp's metadata gives, turned by the EXIF
// orientation (5-8: a quarter turn).
import sharp from 'sharp';
import t from 'tap';
import { analyzeImage } from '../../../src/pipeline/analyze/index.js';
import { fixture } from '../../helpers/images.js';

const files = [
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `exif-samples/jpg/orientation/landscape_${n}.jpg`),
  'exifr/iptc-staff-photographer-example.jpg',
  'c2pa/sample1.png',
  'c2pa/mars.webp',
];

for (const name of files) {
  t.test(name, async (t) => {
    const bytes = fixture(name);
    const meta = await sharp(bytes).metadata();
    const turned = (meta.orientation ?? 1) >= 5;
    const { pixels } = await analyzeImage(
      bytes,
      { mime: `image/${meta.format}`, format: meta.format },
      { maxInputPixels: 100_000_000 },
    );
    t.same(
      pixels?.size,
      turned ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height },
    );
  });
}
