/**
 * What an annotated video frame looks like: the original frame with the adapted label, its
 * confidence and the source-only label burned into a darkened band at the top; side-by-side puts
 * the edited frame (the editor's output, enlarged back to the frame's size) to the right.
 *
 *   const out = annotateFrame(frame, inference, 'overlay');   // a new image; `frame` is untouched
 */
import { ADVANCE, LINE_HEIGHT, drawText, shadeRect, textWidth, type Rgb } from '../image/draw-text.js';
import { resizeRgbInto } from '../image/resize-rgb.js';
import type { RgbImage } from '../image/rgb-image.js';
import { reportedPrediction } from '../model/ensemble.js';
import type { FrameInference, Prediction } from '../model/index.js';

export const ANNOTATE_LAYOUTS = ['overlay', 'side-by-side'] as const;
export type AnnotateLayout = (typeof ANNOTATE_LAYOUTS)[number];

const TEXT: Rgb = [255, 255, 255];
/** How much the band behind the text is darkened (0..1): readable over any picture. */
const BAND_SHADE = 0.65;
/** Font pixels of padding around the text block. */
const PAD = 2;

const percent = (p: Prediction) => `${Math.round(p.confidence * 100)}%`;

type Labels = Pick<FrameInference, 'ensemble' | 'smoothed' | 'source'>;

/** The lines burned in, top to bottom: the label the stream answers with (smoothed, when on), as JSONL's `label`. */
export function annotationLines(inference: Labels): string[] {
  const adapted = reportedPrediction(inference);
  const { source } = inference;
  return [`adapted: ${adapted.label} ${percent(adapted)}`, `source-only: ${source.label} ${percent(source)}`];
}

/** The output size for a frame of this size. */
export function annotatedSize(frame: { width: number; height: number }, layout: AnnotateLayout): { width: number; height: number } {
  return { width: layout === 'side-by-side' ? frame.width * 2 : frame.width, height: frame.height };
}

/**
 * Font scale: as large as the frame's height allows (one font pixel per 160 frame rows), but
 * small enough for the longest line to fit the frame's width; never below 1.
 */
export function textScale(width: number, height: number, longestLine: number): number {
  const fitsWidth = Math.floor(width / ((longestLine * ADVANCE + 2 * PAD) || 1));
  return Math.max(1, Math.min(Math.floor(height / 160), fitsWidth));
}

/** Where the text of `lines` goes on a frame of this size: the band and the scale (for tests that look for the glyphs). */
export function textPlacement(width: number, height: number, lines: readonly string[]): { scale: number; x: number; y: number; bandHeight: number } {
  const scale = textScale(width, height, Math.max(...lines.map((l) => l.length)));
  return { scale, x: PAD * scale, y: PAD * scale, bandHeight: (lines.length * LINE_HEIGHT + 2 * PAD - 2) * scale };
}

/** Renders the annotated frame into a new image (into `out` when given, reused by the caller). */
export function annotateFrame(frame: RgbImage, inference: Labels & Pick<FrameInference, 'editedImage'>, layout: AnnotateLayout, out?: Uint8Array): RgbImage {
  const size = annotatedSize(frame, layout);
  const data = out ?? new Uint8Array(size.width * size.height * 3);
  if (data.length !== size.width * size.height * 3) throw new RangeError(`output buffer holds ${data.length} bytes, expected ${size.width * size.height * 3}`);
  const image: RgbImage = { ...size, data };
  const rowBytes = frame.width * 3;
  if (layout === 'overlay') {
    data.set(frame.data.subarray(0, frame.height * rowBytes));
  } else {
    for (let y = 0; y < frame.height; y++) data.set(frame.data.subarray(y * rowBytes, (y + 1) * rowBytes), y * size.width * 3);
    const right = { x: frame.width, y: 0, width: frame.width, height: frame.height };
    // Without an editor there is no edited frame: the original stands in, captioned so.
    resizeRgbInto(inference.editedImage ?? frame, image, right);
    caption(image, 'original', 0, frame.width);
    caption(image, inference.editedImage ? 'edited' : 'no editor', frame.width, frame.width);
  }
  const lines = annotationLines(inference);
  const place = textPlacement(frame.width, frame.height, lines);
  shadeRect(image, { x: 0, y: 0, width: frame.width, height: place.bandHeight }, BAND_SHADE);
  lines.forEach((line, i) => drawText(image, line, place.x, place.y + i * LINE_HEIGHT * place.scale, { scale: place.scale, color: TEXT }));
  return image;
}

/** A one-line label at the bottom-left of a half of the side-by-side image. */
function caption(image: RgbImage, text: string, left: number, width: number): void {
  const scale = textScale(width, image.height, text.length);
  const height = (LINE_HEIGHT + 2) * scale;
  const y = image.height - height;
  shadeRect(image, { x: left, y, width: textWidth(text, scale) + 2 * PAD * scale, height }, BAND_SHADE);
  drawText(image, text, left + PAD * scale, y + 2 * scale, { scale, color: TEXT });
}
