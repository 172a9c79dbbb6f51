/** Temporal label smoothing per stream: the averaging and hysteresis of one stream, and the flow's stage. */
export { LabelSmoother, SMOOTHING_MODES, type SmoothedLabel, type SmoothingMode, type SmoothingOptions } from './label-smoother.js';
export { LabelSmoothing, smoothLabels, type ProcessedFrame, type SmoothLabelsOptions } from './smooth-labels.js';
