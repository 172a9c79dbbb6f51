/**
 * Which ffmpeg and ffprobe the product runs, decided once per process. Every place that starts
 * ffmpeg or ffprobe asks here (ffmpeg.ts for fluent-ffmpeg, src/sinks/video-encoder.ts, the bench's test video).
 *
 * Order, for each binary:
 *   1. configured: $FFMPEG_PATH / $FFPROBE_PATH (a path, or a name looked up on $PATH). When only
 *      FFMPEG_PATH is set, an ffprobe next to it counts as configured too. A configured binary
 *      that does not run is an error, never silently replaced.
 *   2. system: `ffmpeg` / `ffprobe` on $PATH (a distribution's build is preferred when present).
 *   3. bundled: the static builds the optional npm packages @ffmpeg-installer/ffmpeg and
 *      @ffprobe-installer/ffprobe ship, so that Node.js alone is enough.
 * $DECORRUPTOR_FFMPEG=system or =bundled uses only that origin (tests force the fallback with
 * it); =auto, or unset, is the order above.
 *
 *   const { ffmpegPath, origin, version } = ffmpegBinaries();   // throws FfmpegUnavailableError
 *   log.info(`ffmpeg: ${ffmpegPath} (${origin}, ${version})`);
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FfmpegUnavailableError } from './errors.js';

export type FfmpegOrigin = 'configured' | 'system' | 'bundled';

export interface FfmpegBinaries {
  ffmpegPath: string;
  ffprobePath: string;
  /** Where ffmpeg came from. */
  origin: FfmpegOrigin;
  /** Where ffprobe came from (usually the same as ffmpeg's; differs when PATH has only ffmpeg). */
  ffprobeOrigin: FfmpegOrigin;
  /** ffmpeg's version, from the first line of `ffmpeg -version` (e.g. "5.1.9-0+deb12u1"). */
  version: string;
}

/** Values of $DECORRUPTOR_FFMPEG. */
export const FFMPEG_CHOICES = ['auto', 'system', 'bundled'] as const;
export type FfmpegChoice = (typeof FFMPEG_CHOICES)[number];

export interface ResolveFfmpegOptions {
  /** Environment to read FFMPEG_PATH, FFPROBE_PATH, DECORRUPTOR_FFMPEG and PATH from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

type Tool = 'ffmpeg' | 'ffprobe';

interface Found {
  path: string;
  origin: FfmpegOrigin;
  version: string;
}

const BUNDLED_PACKAGES: Record<Tool, string> = {
  ffmpeg: '@ffmpeg-installer/ffmpeg',
  ffprobe: '@ffprobe-installer/ffprobe',
};

let cached: FfmpegBinaries | undefined;

/**
 * The ffmpeg and ffprobe of this process: resolved on the first call (which runs each once with
 * -version), then cached. Failures are not cached, so a later call looks again.
 * @throws FfmpegUnavailableError when no usable ffmpeg or ffprobe is found (the message says
 *   what was tried and how to fix it).
 */
export function ffmpegBinaries(): FfmpegBinaries {
  cached ??= resolveFfmpegBinaries();
  return cached;
}

/** Resolves afresh, without the cache (tests; ffmpegBinaries() for everything else). */
export function resolveFfmpegBinaries(options: ResolveFfmpegOptions = {}): FfmpegBinaries {
  const env = options.env ?? process.env;
  const choice = (env.DECORRUPTOR_FFMPEG?.trim() || 'auto') as FfmpegChoice;
  if (!FFMPEG_CHOICES.includes(choice)) {
    throw unavailable(`DECORRUPTOR_FFMPEG must be one of ${FFMPEG_CHOICES.join(', ')}, got "${env.DECORRUPTOR_FFMPEG}"`);
  }
  const ffmpeg = find('ffmpeg', choice, env);
  const ffprobe = find('ffprobe', choice, env, ffmpeg);
  return {
    ffmpegPath: ffmpeg.path,
    ffprobePath: ffprobe.path,
    origin: ffmpeg.origin,
    ffprobeOrigin: ffprobe.origin,
    version: ffmpeg.version,
  };
}

function find(tool: Tool, choice: FfmpegChoice, env: NodeJS.ProcessEnv, ffmpeg?: Found): Found {
  const tried: string[] = [];

  if (choice === 'auto') {
    const variable = tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
    const configured = env[variable]?.trim();
    if (configured) {
      const file = configured.includes(path.sep) || configured.includes('/') ? path.resolve(configured) : onPath(configured, env);
      const version = file && isExecutable(file) ? versionOf(file) : undefined;
      if (!file || version === undefined) {
        throw unavailable(`${variable}=${configured} is not a ${tool} that runs (\`${tool} -version\` failed); fix or unset it`);
      }
      return { path: file, origin: 'configured', version };
    }
    // FFMPEG_PATH=/opt/ffmpeg/bin/ffmpeg: the ffprobe of the same installation.
    if (tool === 'ffprobe' && ffmpeg?.origin === 'configured') {
      const sibling = path.join(path.dirname(ffmpeg.path), executableName('ffprobe'));
      const version = isExecutable(sibling) ? versionOf(sibling) : undefined;
      if (version !== undefined) return { path: sibling, origin: 'configured', version };
    }
  }

  if (choice === 'auto' || choice === 'system') {
    const file = onPath(tool, env);
    const version = file ? versionOf(file) : undefined;
    if (file && version !== undefined) return { path: file, origin: 'system', version };
    tried.push(file ? `${file} (on PATH) does not run` : `no ${tool} on PATH`);
  }

  if (choice === 'auto' || choice === 'bundled') {
    const bundled = bundledPath(tool);
    const version = bundled.path && isExecutable(bundled.path) ? versionOf(bundled.path) : undefined;
    if (bundled.path && version !== undefined) return { path: bundled.path, origin: 'bundled', version };
    tried.push(bundled.path ? `${bundled.path} (${BUNDLED_PACKAGES[tool]}) does not run` : bundled.problem);
  }

  throw unavailable(
    `${tool} was not found (${tried.join('; ')}): install ffmpeg (e.g. apt-get install -y ffmpeg), ` +
      `set ${tool === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH'}, or reinstall with npm ci so the bundled one is there`,
  );
}

function unavailable(detail: string): FfmpegUnavailableError {
  return new FfmpegUnavailableError(detail, { url: '' });
}

function executableName(tool: string): string {
  return process.platform === 'win32' && !tool.toLowerCase().endsWith('.exe') ? `${tool}.exe` : tool;
}

/** The first executable `name` in $PATH, as an absolute path. */
function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  const file = executableName(name);
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.resolve(dir, file);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The version word of `<file> -version`'s first line ("ffmpeg version 5.1.9 Copyright..."), or undefined when it does not run. */
function versionOf(file: string): string | undefined {
  try {
    const output = execFileSync(file, ['-version'], { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const first = output.split('\n', 1)[0].trim();
    if (!/version/i.test(first)) return undefined;
    return /\bversion\s+(\S+)/i.exec(first)?.[1] ?? first;
  } catch {
    return undefined;
  }
}

/** The binary an installer package ships for this platform; the packages throw strings when it is missing. */
function bundledPath(tool: Tool): { path?: string; problem: string } {
  const name = BUNDLED_PACKAGES[tool];
  try {
    const loaded = createRequire(import.meta.url)(name) as { path?: unknown };
    if (typeof loaded.path === 'string') return { path: loaded.path, problem: '' };
    return { problem: `${name} gave no path` };
  } catch (error) {
    const code = (error as { code?: string } | null)?.code;
    if (code === 'MODULE_NOT_FOUND') return { problem: `${name} is not installed` };
    return { problem: `${name}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
