/** Plain-text reports of `bundle inspect` and `bundle check`, as the CLI prints them. */
import type { EditorSpec } from '../model/manifest.js';
import type { BundleCheckReport } from './check.js';
import type { BundleInspection, ModelFileReport, TensorInfo } from './inspect.js';

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const count = (n: number) => n.toLocaleString('en-US');
const tensor = (t: TensorInfo) => `${t.name} ${t.type} [${t.shape.join(',')}]`;

function describeEditor(name: string, editor: EditorSpec): string {
  if (editor.kind === 'consistency') return `${name} (consistency, ${editor.steps} steps${editor.timesteps ? ` at ${editor.timesteps.join(',')}` : ''})`;
  return `${name} (ddim-ip2p, ${editor.steps} steps)`;
}

function formatFile(file: ModelFileReport): string[] {
  const size = file.bytes === null ? 'missing' : `${formatBytes(file.bytes)}${file.externalBytes > 0 ? ` + ${formatBytes(file.externalBytes)} external data` : ''}`;
  const weights = file.weights ? `, ${count(file.weights.parameters)} parameters${file.weights.constants > 0 ? ` (+${count(file.weights.constants)} in constants)` : ''}` : '';
  const lines = [`${file.file}  ${size}${weights}`];
  if (file.error) return [...lines, `  FAIL ${file.error.code}: ${file.error.message}`];
  lines.push(`  inputs:  ${file.inputs.map(tensor).join('; ') || 'none'}`);
  lines.push(`  outputs: ${file.outputs.map(tensor).join('; ') || 'none'}`);
  for (const role of file.roles) {
    lines.push(`  as ${role.role}:`);
    const width = Math.max(...role.tensors.map((t) => t.field.length));
    for (const t of role.tensors) {
      const name = t.name === null ? '?' : `${t.name} (${t.given === null ? 'resolved' : 'manifest'})`;
      lines.push(`    ${t.problem ? 'FAIL' : role.problem && t.name === null ? '  ? ' : ' ok '} ${t.field.padEnd(width)}  -> ${name}, expects ${t.expected}${t.problem ? `: ${t.problem.code}: ${t.problem.message}` : ''}`);
    }
    if (role.problem) lines.push(`    FAIL ${role.problem.code}: ${role.problem.message}`);
  }
  return lines;
}

export function formatInspection(report: BundleInspection): string {
  const m = report.manifest;
  const c = m.classifier;
  const lines = [
    `bundle ${m.name} ${m.version}  ${report.dir}`,
    `labels (${m.labels.length}): ${m.labels.join(', ')}`,
    `classifier: ${c.inputSize.width}x${c.inputSize.height}, normalization mean ${c.normalization.mean.join(',')} std ${c.normalization.std.join(',')}, resize ${c.resize}`,
    `vae: ${m.vae.inputSize.width}x${m.vae.inputSize.height} <-> latent ${m.vae.latentShape.join('x')}, scale factor ${m.vae.scaleFactor}`,
    `editors: ${Object.entries(m.editors).map(([name, e]) => describeEditor(name, e)).join(', ') || 'none'}`,
  ];
  for (const file of report.files) lines.push('', ...formatFile(file));
  const total = report.files.reduce((sum, f) => sum + (f.bytes ?? 0) + f.externalBytes, 0);
  lines.push('', `${report.files.length} model files, ${formatBytes(total)}; ${report.problems === 0 ? 'no problems found' : `${report.problems} problem${report.problems > 1 ? 's' : ''}`}`);
  return lines.join('\n');
}

export function formatCheck(report: BundleCheckReport): string {
  const width = Math.max(...report.editors.map((e) => e.editor.length));
  const lines = [`bundle check ${report.dir}`];
  for (const e of report.editors) {
    const what = e.editor === 'none' ? 'classifier' : 'classifier + editor';
    const detail = e.ok
      ? `${what}: one batch of 2 frames in ${e.batchMs!.toFixed(0)} ms (labels ${e.labels.join(', ')})`
      : `${e.problem!.code}: ${e.problem!.message}`;
    lines.push(`  ${e.ok ? ' ok ' : 'FAIL'}  ${e.editor.padEnd(width)}  ${detail}`);
  }
  const failed = report.editors.filter((e) => !e.ok).length;
  lines.push(failed === 0 ? `ok: ${report.editors.length} configuration${report.editors.length > 1 ? 's' : ''} passed` : `${failed} of ${report.editors.length} configurations failed`);
  return lines.join('\n');
}
