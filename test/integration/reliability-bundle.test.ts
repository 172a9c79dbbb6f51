/**
 * A broken model bundle stops `serve` at start-up: exit 1, the file and the problem's code on
 * stderr, and no server left listening (the process really exits; it used to hang with its HTTP
 * server open). The bundle checks themselves are unit-tested in model-bundle.test.ts.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { editManifest } from '../helpers/bundle-manifest.js';
import { CliProcess, FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'reliability-bundle-'));
});
after(() => rm(root, { recursive: true, force: true }));

async function brokenBundle(name: string, breakIt: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await cp(FIXTURE_BUNDLE, dir, { recursive: true });
  await breakIt(dir);
  return dir;
}

const cases: { name: string; file: string; code: string; breakIt: (dir: string) => Promise<void> }[] = [
  { name: 'a file named in the manifest is missing', file: 'vae_decoder.onnx', code: 'BUNDLE_FILE_MISSING', breakIt: (d) => unlink(join(d, 'vae_decoder.onnx')) },
  {
    name: 'the classifier does not take the manifest input size',
    file: 'classifier.onnx',
    code: 'BUNDLE_SHAPE_MISMATCH',
    breakIt: (d) => editManifest(d, (manifest) => (manifest.classifier.inputSize = { width: 48, height: 48 })),
  },
  {
    name: 'an ONNX file is corrupt',
    file: 'unet_cm.onnx',
    code: 'BUNDLE_ONNX_INVALID',
    breakIt: (d) => writeFile(join(d, 'unet_cm.onnx'), Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 256))),
  },
];

describe('serve with a broken model bundle fails at start-up', { timeout: 180_000 }, () => {
  for (const { name, file, code, breakIt } of cases) {
    it(`${name}: exit 1, ${file} and ${code} on stderr`, async () => {
      const bundle = await brokenBundle(code, breakIt);
      const cli = new CliProcess(['serve', '--port', '0', '--bundle', bundle, '--source', 'lavfi:testsrc2=size=96x72:rate=8']);
      try {
        const exit = await cli.exit(45_000);
        assert.equal(exit.forced, false, `serve did not exit by itself; stderr:\n${cli.stderr}`);
        assert.equal(exit.code, 1, cli.stderr);
        const lastLine = cli.stderr.trimEnd().split('\n').at(-1)!;
        assert.match(lastLine, /^decorruptor: /, 'the error is the last thing said');
        assert.ok(lastLine.includes(join(bundle, file)), `names ${file}: ${lastLine}`);
        assert.ok(lastLine.includes(`[${code}]`), `carries ${code}: ${lastLine}`);
      } finally {
        await cli.kill();
      }
    });
  }
});
