/**
 * What an uploaded image is, decided by its bytes (never by its name or the type the client
 * claims): JPEG, PNG, WebP or AVIF, with its dimensions where the header gives them. Stored
 * objects are content-addressed: the key is the SHA-256 of the bytes plus the type's extension,
 * so the same file uploaded twice is one object, and a key never names two different contents
 * (which is what lets it be cached for a year as immutable).
 */
export const IMAGE_TYPES = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/avif': 'avif',
} as const;
export type ImageType = keyof typeof IMAGE_TYPES;

export interface SniffedImage { contentType: ImageType; width?: number; height?: number }

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The image type of `bytes` by their signature, or undefined when they are none of the accepted types. */
export function sniffImage(bytes: Buffer): SniffedImage | undefined {
  if (bytes.length >= 24 && bytes.subarray(0, 8).equals(PNG_SIGNATURE) && bytes.toString('latin1', 12, 16) === 'IHDR') {
    return { contentType: 'image/png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return { contentType: 'image/jpeg', ...jpegSize(bytes) };
  }
  if (bytes.length >= 16 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP'
    && /^VP8[ LX]$/.test(bytes.toString('latin1', 12, 16))) {
    return { contentType: 'image/webp', ...webpSize(bytes) };
  }
  if (isAvif(bytes)) return { contentType: 'image/avif' };
  return undefined;
}

/** The object key of an image: the hex SHA-256 of its bytes and its type's extension, e.g. "9f86d0…0f00a08.png". */
export function imageKeyOf(sha256Hex: string, contentType: ImageType): string {
  return `${sha256Hex}.${IMAGE_TYPES[contentType]}`;
}

export const IMAGE_KEY = /^[0-9a-f]{64}\.(jpg|png|webp|avif)$/;

export function contentTypeOfKey(key: string): ImageType | undefined {
  const ext = key.slice(key.lastIndexOf('.') + 1);
  return (Object.keys(IMAGE_TYPES) as ImageType[]).find((t) => IMAGE_TYPES[t] === ext);
}

/** An ISO BMFF file whose `ftyp` box names the AVIF brand (major or compatible). */
function isAvif(bytes: Buffer): boolean {
  if (bytes.length < 16 || bytes.toString('latin1', 4, 8) !== 'ftyp') return false;
  const size = Math.min(bytes.readUInt32BE(0), bytes.length);
  if (size < 16) return false;
  for (let at = 8; at + 4 <= size; at += at === 8 ? 8 : 4) { // the major brand, then (past the minor version) each compatible brand
    const brand = bytes.toString('latin1', at, at + 4);
    if (brand === 'avif' || brand === 'avis') return true;
  }
  return false;
}

/** Width and height from the first start-of-frame marker, when the header holds one. */
function jpegSize(bytes: Buffer): { width?: number; height?: number } {
  let at = 2;
  while (at + 9 < bytes.length) {
    if (bytes[at] !== 0xff) return {};
    const marker = bytes[at + 1];
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = bytes.readUInt16BE(at + 2);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    at += 2 + length;
  }
  return {};
}

function webpSize(bytes: Buffer): { width?: number; height?: number } {
  const chunk = bytes.toString('latin1', 12, 16);
  if (chunk === 'VP8 ' && bytes.length >= 30) return { width: bytes.readUInt16LE(26) & 0x3fff, height: bytes.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L' && bytes.length >= 25) {
    const bits = bytes.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X' && bytes.length >= 30) return { width: bytes.readUIntLE(24, 3) + 1, height: bytes.readUIntLE(27, 3) + 1 };
  return {};
}
