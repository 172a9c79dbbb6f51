// jpeg_compression is a real libjpeg round trip (sharp): byte for byte what PIL gives, which is how
// CIFAR-10-C was made (test/fixtures/corrupt/jpeg-pil.json, training/fixtures/make_jpeg_fixture.py).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { corrupt } from '../../src/corrupt/index.js';
import { jpegRoundTrip } from '../../src/corrupt/jpeg.js';
import { JPEG_QUALITY } from '../../src/corrupt/params.js';
import { testPattern } from '../../src/corrupt/test-pattern.js';

interface PilCase {
  width: number;
  height: number;
  input: string;
  output: Record<string, string>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/corrupt/jpeg-pil.json', import.meta.url), 'utf8')) as { cases: PilCase[] };
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

const meanAbsError = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0) / a.length;

describe('jpeg_compression', () => {
  for (const { width, height, input, output } of fixture.cases) {
    it(`equals PIL's JPEG round trip at every CIFAR-10-C quality (${width}x${height})`, async () => {
      assert.deepEqual(Object.keys(output).map(Number).sort(), [...JPEG_QUALITY].sort());
      const image = { width, height, data: bytes(input) };
      for (const [severity, quality] of JPEG_QUALITY.entries()) {
        const expected = bytes(output[quality]);
        assert.deepEqual(await jpegRoundTrip(image, quality), expected, `quality ${quality}`);
        // At the CIFAR size corrupt() is that round trip, nothing else.
        assert.deepEqual(await corrupt(image, 'jpeg_compression', (severity + 1) as 1, 0), expected, `severity ${severity + 1}`);
      }
    });
  }

  it('is near-lossless at quality 100 on grey content and loses more at lower quality', async () => {
    const grey = testPattern(33, 29);
    for (let i = 0; i < grey.data.length; i += 3) grey.data[i] = grey.data[i + 2] = grey.data[i + 1];
    const err = async (q: number) => meanAbsError(await jpegRoundTrip(grey, q), grey.data);
    assert.ok((await err(100)) < 0.5, `q100 ${await err(100)}`);
    assert.ok((await err(80)) < (await err(40)));
  });

  it('on a large frame adds the artifacts at CIFAR scale and keeps the frame', async () => {
    const frame = testPattern(320, 240);
    const out = await corrupt(frame, 'jpeg_compression', 5, 0);
    const err = meanAbsError(out, frame.data);
    assert.ok(err > 1 && err < 20, `mean abs change ${err}`);
    assert.deepEqual(await corrupt(frame, 'jpeg_compression', 5, 0), out, 'deterministic');
  });
});
