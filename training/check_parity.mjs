// Compares onnxruntime-node's outputs with the PyTorch outputs that export.py stored in parity.json.
// Usage: node training/check_parity.mjs [models/cifar10]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';

const bundle = process.argv[2] ?? 'models/cifar10';
const cases = JSON.parse(readFileSync(join(bundle, 'parity.json'), 'utf8'));
let worst = 0;
for (const c of cases) {
  const session = await ort.InferenceSession.create(join(bundle, c.file));
  const feeds = {};
  for (const [name, t] of Object.entries(c.inputs)) feeds[name] = new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
  const result = (await session.run(feeds))[c.output.name].data;
  let maxAbs = 0;
  c.output.data.forEach((v, i) => { maxAbs = Math.max(maxAbs, Math.abs(v - result[i])); });
  worst = Math.max(worst, maxAbs);
  console.log(`${c.file.padEnd(20)} max |onnx - torch| = ${maxAbs.toExponential(2)}`);
}
process.exitCode = worst <= 1e-4 ? 0 : 1;
