// Thumbnails with sharp: the format told from the first bytes (so a non-image is refused before anything is
// decoded), a pixel limit that sharp checks on the header (so a huge image is refused before it is decoded), and
// the original streamed into the decoder, never read whole.
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** The image formats a thumbnail can be made of; GIF's first frame only. */
export type ImageFormat = "jpeg" | "png" | "webp" | "gif";

/** The widest and tallest a thumbnail may be asked for. */
export const MAX_THUMBNAIL_SIDE = 2048;
/** The largest image a thumbnail is made of by default, in pixels (width × height): 50 megapixels. */
export const DEFAULT_PIXEL_LIMIT = 50_000_000;
/** How many first bytes tell the format. */
export const SIGNATURE_BYTES = 12;

/** The image format the first bytes of a file announce, or undefined for anything else. */
export function imageFormatOf(head: Buffer): ImageFormat | undefined {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "jpeg";
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (head.length >= 6 && (head.subarray(0, 6).toString("latin1") === "GIF87a" || head.subarray(0, 6).toString("latin1") === "GIF89a")) return "gif";
  if (head.length >= 12 && head.subarray(0, 4).toString("latin1") === "RIFF" && head.subarray(8, 12).toString("latin1") === "WEBP") return "webp";
  return undefined;
}

/** Why a thumbnail could not be made: the image is over the pixel limit, or is not a readable image after all. */
export class ThumbnailRefused extends Error {
  constructor(
    readonly reason: "too-large" | "not-an-image",
    message: string,
  ) {
    super(message);
  }
}

/**
 * A thumbnail of the image in `source`: at most `width` × `height`, its proportions kept, never enlarged, in the
 * image's own format. Rejects with ThumbnailRefused for an image over `pixelLimit` or bytes that do not decode.
 */
export async function makeThumbnail(source: Readable, format: ImageFormat, width: number, height: number, pixelLimit: number): Promise<Buffer> {
  // Loaded on the first thumbnail: sharp's native library costs every app that never makes one nothing.
  const { default: sharp } = await import("sharp");
  const transformer = sharp({ limitInputPixels: pixelLimit, pages: 1, failOn: "error" })
    .rotate() // applies EXIF orientation, so a phone photo's thumbnail stands the right way up
    .resize(width, height, { fit: "inside", withoutEnlargement: true })
    .toFormat(format);
  const output = transformer.toBuffer();
  try {
    await Promise.all([pipeline(source, transformer), output]);
  } catch (error) {
    source.destroy();
    const message = error instanceof Error ? error.message : String(error);
    if (/pixel limit/i.test(message)) throw new ThumbnailRefused("too-large", `the image has more than ${pixelLimit} pixels, the limit for thumbnails`);
    if (/unsupported image format|corrupt|premature|bad|invalid|vips/i.test(message)) throw new ThumbnailRefused("not-an-image", `it does not decode as an image (${message.split("\n")[0]})`);
    throw error;
  }
  return output;
}
