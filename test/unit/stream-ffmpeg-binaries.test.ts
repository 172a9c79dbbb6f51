/**
 * Which ffmpeg / ffprobe runs: configured > system (PATH) > bundled (npm), with real files: fake
 * binaries (shell scripts that answer -version) in temp folders, and a PATH that holds only them.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FfmpegUnavailableError } from '../../src/stream/errors.js';
import { resolveFfmpegBinaries } from '../../src/stream/ffmpeg-binaries.js';

const root = mkdtempSync(path.join(tmpdir(), 'ffmpeg-binaries-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A folder holding fake `tools` that print "<tool> version <version> ..." (or fail, when broken). */
function fakeDir(name: string, tools: string[], version: string, broken = false): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const file = path.join(dir, tool);
    // Built-ins only: PATH in these tests holds nothing but the fake folders.
    const body = broken ? 'exit 1' : `echo "${tool} version ${version} Copyright (c) fake"`;
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

const systemDir = fakeDir('system', ['ffmpeg', 'ffprobe'], '7.0-system');
const configuredDir = fakeDir('configured', ['ffmpeg', 'ffprobe'], '6.1-configured');
const onlyFfmpegDir = fakeDir('only-ffmpeg', ['ffmpeg'], '5.0-only');
const brokenDir = fakeDir('broken', ['ffmpeg', 'ffprobe'], '', true);
const emptyDir = fakeDir('empty', [], '');
const bundledFfmpeg = /node_modules[/\\]@ffmpeg-installer[/\\]/;
const bundledFfprobe = /node_modules[/\\]@ffprobe-installer[/\\]/;

describe('resolveFfmpegBinaries: configured > system > bundled', () => {
  it('prefers FFMPEG_PATH / FFPROBE_PATH over PATH', () => {
    const found = resolveFfmpegBinaries({
      env: {
        PATH: systemDir,
        FFMPEG_PATH: path.join(configuredDir, 'ffmpeg'),
        FFPROBE_PATH: path.join(configuredDir, 'ffprobe'),
      },
    });
    assert.deepEqual(found, {
      ffmpegPath: path.join(configuredDir, 'ffmpeg'),
      ffprobePath: path.join(configuredDir, 'ffprobe'),
      origin: 'configured',
      ffprobeOrigin: 'configured',
      version: '6.1-configured',
    });
  });

  it('takes the ffprobe next to a configured ffmpeg when FFPROBE_PATH is unset', () => {
    const found = resolveFfmpegBinaries({ env: { PATH: systemDir, FFMPEG_PATH: path.join(configuredDir, 'ffmpeg') } });
    assert.equal(found.ffprobePath, path.join(configuredDir, 'ffprobe'));
    assert.equal(found.ffprobeOrigin, 'configured');
  });

  it('uses ffmpeg and ffprobe on PATH when nothing is configured', () => {
    const found = resolveFfmpegBinaries({ env: { PATH: [emptyDir, systemDir].join(path.delimiter) } });
    assert.equal(found.ffmpegPath, path.join(systemDir, 'ffmpeg'));
    assert.equal(found.ffprobePath, path.join(systemDir, 'ffprobe'));
    assert.equal(found.origin, 'system');
    assert.equal(found.version, '7.0-system');
  });

  it('falls back to the bundled npm binaries when PATH has none, and they run', () => {
    const found = resolveFfmpegBinaries({ env: { PATH: emptyDir } });
    assert.equal(found.origin, 'bundled');
    assert.equal(found.ffprobeOrigin, 'bundled');
    assert.match(found.ffmpegPath, bundledFfmpeg);
    assert.match(found.ffprobePath, bundledFfprobe);
    assert.ok(found.version.length > 0);
  });

  it('falls back per binary: ffmpeg from PATH, ffprobe bundled', () => {
    const found = resolveFfmpegBinaries({ env: { PATH: onlyFfmpegDir } });
    assert.equal(found.origin, 'system');
    assert.equal(found.version, '5.0-only');
    assert.equal(found.ffprobeOrigin, 'bundled');
    assert.match(found.ffprobePath, bundledFfprobe);
  });

  it('skips a system ffmpeg that does not run', () => {
    const found = resolveFfmpegBinaries({ env: { PATH: brokenDir } });
    assert.equal(found.origin, 'bundled');
  });

  it('DECORRUPTOR_FFMPEG=bundled forces the bundled binaries over configured and system ones', () => {
    const found = resolveFfmpegBinaries({
      env: { PATH: systemDir, FFMPEG_PATH: path.join(configuredDir, 'ffmpeg'), DECORRUPTOR_FFMPEG: 'bundled' },
    });
    assert.equal(found.origin, 'bundled');
    assert.match(found.ffmpegPath, bundledFfmpeg);
  });

  it('DECORRUPTOR_FFMPEG=system with no ffmpeg on PATH is FFMPEG_UNAVAILABLE, naming what was tried', () => {
    assert.throws(
      () => resolveFfmpegBinaries({ env: { PATH: emptyDir, DECORRUPTOR_FFMPEG: 'system' } }),
      (error: unknown) => {
        assert.ok(error instanceof FfmpegUnavailableError);
        assert.equal(error.code, 'FFMPEG_UNAVAILABLE');
        assert.match(error.message, /^ffmpeg was not found \(no ffmpeg on PATH\)/);
        return true;
      },
    );
  });

  it('a configured path that does not run is an error, not a silent fallback', () => {
    for (const FFMPEG_PATH of [path.join(root, 'nowhere', 'ffmpeg'), path.join(brokenDir, 'ffmpeg')]) {
      assert.throws(
        () => resolveFfmpegBinaries({ env: { PATH: systemDir, FFMPEG_PATH } }),
        (error: unknown) => error instanceof FfmpegUnavailableError && error.message.includes(`FFMPEG_PATH=${FFMPEG_PATH}`),
      );
    }
  });

  it('a bad DECORRUPTOR_FFMPEG value is FFMPEG_UNAVAILABLE with the accepted values', () => {
    assert.throws(
      () => resolveFfmpegBinaries({ env: { PATH: systemDir, DECORRUPTOR_FFMPEG: 'static' } }),
      (error: unknown) => error instanceof FfmpegUnavailableError && /auto, system, bundled/.test(error.message),
    );
  });
});
