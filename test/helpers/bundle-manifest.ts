/** Changing a copied model bundle's manifest.json, for tests that need a variant of the fixture bundle. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Rewrites `dir`/manifest.json with `edit` applied to its parsed content. */
export async function editManifest(dir: string, edit: (manifest: Record<string, any>) => void): Promise<void> {
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(file, 'utf8'));
  edit(manifest);
  await writeFile(file, JSON.stringify(manifest));
}
