/**
 * CIFAR-10-C parameters are defined for 32x32 images. For a W x H frame every spatial size
 * (blur radii, displacements, block sizes, noise grain, texture feature sizes) is multiplied by
 * s = min(W, H) / 32, so a 320x240 frame (s = 7.5) looks like a CIFAR-C image shown at that size.
 * Random fields are drawn on a "base grid" of about W/s x H/s cells (32 on the short side) and
 * upsampled, which keeps their statistics (e.g. the smoothness of elastic displacements) equal to
 * the 32x32 case instead of averaging away at high resolution.
 */
export interface FrameScale {
  /** min(W, H) / 32. */
  s: number;
  /** Side of a square noise grain in pixels: max(1, round(s)). */
  grain: number;
  /** Base grid size: the frame at CIFAR resolution. */
  baseWidth: number;
  baseHeight: number;
}

export function frameScale(width: number, height: number): FrameScale {
  const s = Math.min(width, height) / 32;
  return {
    s,
    grain: Math.max(1, Math.round(s)),
    baseWidth: Math.max(1, Math.round(width / s)),
    baseHeight: Math.max(1, Math.round(height / s)),
  };
}
