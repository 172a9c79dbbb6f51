/**
 * The default main job: with no source configured, `serve` plays CIFAR-10 test images (one a
 * second) through a cycling corruption schedule, decoded by ffmpeg like any other source, with the
 * true label on every frame. Without the data set it falls back to a synthetic ffmpeg source.
 */
import type { Config, SourceConfig } from '../config/index.js';
import { findCifar10Dir } from '../data/cifar10.js';
import type { Frame } from '../stream/index.js';
import type { DemoClip } from './demo-clip.js';
import type { Logger } from '../log/logger.js';

export interface ResolvedSource {
  config: SourceConfig;
  label?: (frame: Frame) => Frame;
}

const SYNTHETIC_URL = 'lavfi:testsrc2=size=320x240:rate=15';

export async function resolveSource(source: SourceConfig, config: Config, log: Logger): Promise<ResolvedSource> {
  if (source.url !== 'demo') return { config: source };
  const dataDir = findCifar10Dir(config.data.cifar10Dir);
  if (!dataDir) {
    log.warn(
      `demo: CIFAR-10 not found (looked at ${config.data.cifar10Dir}, $CIFAR10_DIR, ./data and ../shared/data); ` +
        `playing a synthetic test pattern instead. Get the data with 'decorruptor data cifar10' or set CIFAR10_DIR.`,
    );
    return { config: { ...source, url: SYNTHETIC_URL, kind: 'lavfi', mode: 'live', realtime: true } };
  }
  const { prepareDemoClip } = await import('./demo-clip.js');
  const clip = await prepareDemoClip({ dataDir });
  log.info(`demo: ${clip.count} CIFAR-10 test images from ${dataDir}, ${clip.fps} per second, corruption ${source.corrupt ?? 'none'}`);
  return {
    // Native 32x32: corruptions then act at CIFAR-10-C scale, and the dashboard upscales crisply.
    config: { ...source, url: clip.file, kind: 'file', mode: 'live', realtime: true, width: 32, height: 32, fit: 'crop' },
    label: demoLabel(clip),
  };
}

/** Stamps each demo frame with its image's true label, and marks where the next image starts. */
function demoLabel(clip: DemoClip): (frame: Frame) => Frame {
  let lastImage = -1;
  return (frame) => {
    const image = clip.imageAt(frame.ptsMs);
    const sceneStart = image !== lastImage;
    lastImage = image;
    return { ...frame, meta: { ...frame.meta, truth: clip.truthAt(frame.ptsMs), ...(sceneStart ? { sceneStart } : {}) } };
  };
}
