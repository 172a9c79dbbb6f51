/**
 * Pictures as every layer sees them (RgbImage) and the one resampler's tap tables: no folder keeps
 * an image type or an area-resize of its own.
 */
export type { RgbImage } from './rgb-image.js';
export { axisTaps, bilinearTaps, boxTaps, type AxisTaps, type ResizeMethod } from './resample-taps.js';
export { greyThumbnail, thumbnailDifference, THUMBNAIL_SIDE } from './thumbnail.js';
