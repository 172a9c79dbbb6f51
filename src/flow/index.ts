/**
 * The frame flow: configured sources become streams (ConfiguredStream: the ffmpeg source plus its
 * test-feed corruption and, for the demo, the ground truth), FrameFlow carries their frames through
 * newest-only dropping (live) or lossless back-pressure (replay) and fair batching to the inference
 * engine, and hands every result to the sinks. Roles (src/runtime) assemble it; it knows no server.
 */
export { FrameFlow, type FrameFlowOptions, type FlowStream } from './frame-flow.js';
export { ConfiguredStream, CORRUPTION_PERIOD_MS, corruptionStage, describeSources, type CorruptionSetting } from './configured-stream.js';
export { AllSourcesFailedError, openStreams, sourceFailure, type OpenedStreams, type SourceFailure } from './open-streams.js';
export { resolveSource, type ResolvedSource } from './demo-source.js';
export { RegionControls, RegionsRefusedError, RegionSource, StreamRegions, cropFrame, type RegionHost, type RegionParent } from './regions/index.js';
