// Decodes one binary frame message (docs/protocol.md):
//   [u32 big-endian n][n bytes of JSON header][image bytes]; header.images.*.offset counts from
//   the end of the JSON.

const decoder = new TextDecoder();

/** @returns {{ header: object, source: Blob, edited: Blob | null }} */
export function decodeFrameMessage(buffer) {
  const headerLength = new DataView(buffer).getUint32(0);
  const header = JSON.parse(decoder.decode(new Uint8Array(buffer, 4, headerLength)));
  const imagesStart = 4 + headerLength;
  const blobOf = (ref) => (ref ? new Blob([new Uint8Array(buffer, imagesStart + ref.offset, ref.length)], { type: ref.mime }) : null);
  return { header, source: blobOf(header.images.source), edited: blobOf(header.images.edited) };
}
