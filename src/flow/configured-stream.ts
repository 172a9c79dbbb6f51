/**
 * Turns configured sources into the flow's streams: the ffmpeg source itself, plus the per-frame
 * transform that makes a test feed (a corruption schedule, switchable at run time) and, for the
 * demo, the ground-truth label.
 */
import { corruptionSchedule, createCorruptionStage, parseCorruptionSpec } from '../corrupt/index.js';
import type { SourceConfig } from '../config/index.js';
import type { Region } from '../config/regions.js';
import { FrameSource, type Frame } from '../stream/index.js';
import type { Logger } from '../log/logger.js';
import type { FlowStream } from './frame-flow.js';

/** How long each corruption of a cycling schedule lasts. */
export const CORRUPTION_PERIOD_MS = 10_000;

export type CorruptionSetting = string | readonly string[] | null;

/** Validates a corruption setting ('fog:4', 'cycle', 'cycle:3' or a list); throws CorruptionError. */
export function corruptionStage(setting: CorruptionSetting): ((frame: Frame) => Promise<Frame>) | undefined {
  if (setting === null || (Array.isArray(setting) && setting.length === 0)) return undefined;
  const specs = typeof setting === 'string' ? (setting.startsWith('cycle') ? (setting as 'cycle') : [setting]) : setting;
  if (typeof specs !== 'string') specs.forEach(parseCorruptionSpec);
  return createCorruptionStage({ schedule: corruptionSchedule(specs, CORRUPTION_PERIOD_MS) });
}

export class ConfiguredStream implements FlowStream {
  readonly source: FrameSource;
  /** The configured regions of interest (src/flow/regions puts them into the flow). */
  readonly regions: readonly Region[];
  readonly #label: ((frame: Frame) => Frame) | undefined;
  #corrupt: ((frame: Frame) => Promise<Frame>) | undefined;
  #corruption: CorruptionSetting;

  private constructor(source: FrameSource, corruption: CorruptionSetting, regions: readonly Region[], label?: (frame: Frame) => Frame) {
    this.source = source;
    this.regions = regions;
    this.#label = label;
    this.#corruption = corruption;
    this.#corrupt = corruptionStage(corruption);
  }

  static async create(
    config: Pick<SourceConfig, 'id' | 'url' | 'mode' | 'realtime' | 'width' | 'height' | 'fit' | 'fps' | 'stallTimeoutMs' | 'restart' | 'corrupt'> & { regions?: readonly Region[] },
    options: { label?: (frame: Frame) => Frame; maxInFlight?: number } = {},
  ): Promise<ConfiguredStream> {
    const source = await FrameSource.create({
      id: config.id,
      url: config.url,
      mode: config.mode,
      realtime: config.realtime,
      width: config.width,
      height: config.height,
      fit: config.fit,
      fps: config.fps,
      stallTimeoutMs: config.stallTimeoutMs,
      maxInFlight: options.maxInFlight,
      restart: config.restart,
    });
    return new ConfiguredStream(source, config.corrupt ?? null, config.regions ?? [], options.label);
  }

  get corruption(): CorruptionSetting {
    return this.#corruption;
  }

  /** Switches the test-feed corruption (null: clean); throws CorruptionError for a bad setting. */
  setCorruption(setting: CorruptionSetting): void {
    this.#corrupt = corruptionStage(setting);
    this.#corruption = setting;
  }

  /** The demo's truth at once; the corruption asynchronously (libjpeg for jpeg_compression). */
  readonly transform = (frame: Frame): Frame | Promise<Frame> => {
    const labelled = this.#label ? this.#label(frame) : frame;
    return this.#corrupt ? this.#corrupt(labelled) : labelled;
  };

  /**
   * What the stream's region frames go through: its corruption (set-corruption changes it for
   * them too), not the demo's ground truth, which is the whole picture's and whose scene-start
   * bookkeeping belongs to the full frame's stream.
   */
  readonly regionTransform = (frame: Frame): Frame | Promise<Frame> => (this.#corrupt ? this.#corrupt(frame) : frame);
}

export function describeSources(streams: readonly ConfiguredStream[], log: Logger): void {
  for (const s of streams) log.info(`source ${s.source.id}: ${s.source.input.kind} (${s.source.mode})`, s.corruption ? { corrupt: s.corruption } : undefined);
}
