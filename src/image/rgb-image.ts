/** The picture every layer passes around: decoded frames, corruption inputs, JPEG encoder inputs. */
export interface RgbImage {
  width: number;
  height: number;
  /** Packed rgb24, row-major: width * height * 3 bytes. */
  data: Uint8Array;
}
