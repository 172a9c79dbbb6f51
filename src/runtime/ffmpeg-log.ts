/** Says at start which ffmpeg a role will run (a system one, a configured one or npm's bundled copy). */
import type { Logger } from '../log/logger.js';
import { ffmpegBinaries } from '../stream/index.js';

/** Logs nothing when no ffmpeg is found: the first source then fails with FFMPEG_UNAVAILABLE and says how to fix it. */
export function logFfmpeg(log: Logger): void {
  try {
    const binaries = ffmpegBinaries();
    log.info(`ffmpeg: ${binaries.ffmpegPath} (${binaries.origin}, version ${binaries.version})`);
  } catch {
    // Reported by the source that needs it, with the same error and its fix.
  }
}
