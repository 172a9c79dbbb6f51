/** Regions of interest: each named rectangle of a live source's frames is a stream of its own (src/config/regions.ts names them). */
export { cropFrame, cropRgb, pixelRect, type PixelRect } from './crop.js';
export { RegionSource } from './region-source.js';
export { RegionsRefusedError, StreamRegions, type RegionHost } from './stream-regions.js';
export { RegionControls, type RegionParent } from './region-controls.js';
