// Paints JPEG frames onto a canvas. Decoding runs off the main thread (createImageBitmap); while
// one decode is busy only the newest frame waits, so a slow tab shows fewer frames instead of
// falling behind.

export class FramePainter {
  #canvas;
  #next = null;
  #busy = false;

  constructor(canvas) {
    this.#canvas = canvas;
  }

  show(blob) {
    this.#next = blob;
    if (!this.#busy) void this.#drain();
  }

  clear() {
    this.#next = null;
    this.#canvas.getContext('2d').clearRect(0, 0, this.#canvas.width, this.#canvas.height);
  }

  async #drain() {
    this.#busy = true;
    while (this.#next !== null) {
      const blob = this.#next;
      this.#next = null;
      let bitmap;
      try {
        bitmap = await createImageBitmap(blob);
      } catch {
        continue; // a damaged JPEG: keep the previous picture
      }
      this.#paint(bitmap);
      bitmap.close();
    }
    this.#busy = false;
  }

  // The canvas takes the image's own size; CSS scales it (pixelated for the small edited image).
  #paint(bitmap) {
    const canvas = this.#canvas;
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
    }
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
  }
}
