/**
 * Image uploads (multipart/form-data, one file) and, for local storage, the files themselves.
 * An upload is judged by its bytes: a JPEG, PNG, WebP or AVIF signature and at most IMAGE_MAX_BYTES,
 * whatever its name or declared type. It is stored under its content's hash, so uploading the same
 * file twice stores it once, and served with a year-long immutable cache lifetime.
 */
import busboy from 'busboy';
import { z } from 'zod';
import type { Context } from 'koa';
import { DomainError, ErrorCode } from '../../domain/errors';
import { contentTypeOfKey, sniffImage } from '../../domain/images';
import { imageKey, IMMUTABLE_CACHE_CONTROL, type ImageStorage } from '../../integrations/image-storage';
import { recordImageObject } from '../../store/catalog-images';
import { emOf } from '../context';
import { route } from '../http';
import { CATALOG_STAFF, catalogActor } from './admin-catalog-schemas';

export const DEFAULT_IMAGE_MAX_BYTES = 10 * 1024 * 1024;

const uploadedView = z.object({
  key: z.string().meta({ description: 'Attach it to a product with POST /admin/catalog/products/:id/images { "key": … }.' }),
  url: z.string(), contentType: z.string(), bytes: z.number().int(), width: z.number().int().nullable(), height: z.number().int().nullable(),
}).meta({ id: 'UploadedImage' });

export function adminCatalogImageRoutes(storage: ImageStorage | undefined, maxBytes = DEFAULT_IMAGE_MAX_BYTES) {
  return [
    route({
      ...CATALOG_STAFF, method: 'post', path: '/admin/catalog/images',
      summary: 'Upload an image (JPEG, PNG, WebP or AVIF, judged by its bytes); answers the key to attach it to products with',
      multipart: { description: `One file in the field "file", at most ${maxBytes} bytes (IMAGE_MAX_BYTES).`,
        fields: { file: { description: 'The image.', binary: true, required: true } } },
      responses: { 201: { description: 'Stored (or already stored: the same bytes have the same key)', schema: uploadedView },
        413: { description: 'The file is larger than IMAGE_MAX_BYTES (payload_too_large)' },
        415: { description: 'Not multipart/form-data, or the file is not a JPEG, PNG, WebP or AVIF image (unsupported_media_type)' },
        503: { description: 'No image storage is configured (not_configured)' } },
      handler: async (ctx) => {
        if (!storage) throw new DomainError(ErrorCode.NotConfigured, 'No image storage is configured (IMAGE_STORAGE).');
        const bytes = await readOneFile(ctx, maxBytes);
        const sniffed = sniffImage(bytes);
        if (!sniffed) {
          throw new DomainError(ErrorCode.UnsupportedMediaType, 'The file is not a JPEG, PNG, WebP or AVIF image (judged by its content, not its name).',
            { accepted: ['image/jpeg', 'image/png', 'image/webp', 'image/avif'] });
        }
        const key = imageKey(bytes, sniffed.contentType);
        const row = await recordImageObject(emOf(ctx), { key, bytes: bytes.length, ...sniffed },
          () => storage.put(key, bytes, sniffed.contentType), catalogActor(ctx));
        ctx.status = 201;
        ctx.body = { key, url: storage.urlOf(key), contentType: row.content_type, bytes: row.bytes, width: row.width, height: row.height };
      },
    }),
    route({
      method: 'get', path: '/media/:key', tag: 'catalog', access: 'public',
      summary: 'An uploaded image, when images are stored on this server\'s disk (cached for a year: its name is its content\'s hash)',
      params: z.strictObject({ key: z.string().max(80) }),
      responses: { 200: { description: 'The image' }, 302: { description: 'The image lives in object storage: its URL' },
        304: { description: 'Not modified (If-None-Match names it)' }, 404: { description: 'No such image (image_not_found)' } },
      handler: async (ctx, { params }) => {
        const contentType = contentTypeOfKey(params.key);
        const file = contentType && storage?.open ? await storage.open(params.key) : undefined;
        if (!file || !contentType) {
          if (contentType && storage && !storage.open) return ctx.redirect(storage.urlOf(params.key));
          throw new DomainError(ErrorCode.ImageNotFound, `There is no image ${params.key}.`, { key: params.key });
        }
        ctx.set('Cache-Control', IMMUTABLE_CACHE_CONTROL);
        ctx.set('ETag', `"${params.key.slice(0, 64)}"`);
        ctx.set('X-Content-Type-Options', 'nosniff');
        if (ctx.get('If-None-Match') === `"${params.key.slice(0, 64)}"`) {
          file.stream.destroy();
          ctx.status = 304;
          return;
        }
        ctx.type = contentType;
        ctx.length = file.bytes;
        ctx.body = file.stream;
      },
    }),
  ];
}

/** The one file of a multipart/form-data body, refused when it is bigger than `maxBytes` or when there is none. */
async function readOneFile(ctx: Context, maxBytes: number): Promise<Buffer> {
  if (!ctx.request.is('multipart/form-data')) {
    throw new DomainError(ErrorCode.UnsupportedMediaType, 'Send the image as multipart/form-data, in the field "file".', { contentType: ctx.request.type });
  }
  return new Promise<Buffer>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: maxBytes, fields: 10, fieldSize: 1024, parts: 12 } });
    } catch (err) {
      reject(new DomainError(ErrorCode.ValidationFailed, `The multipart body cannot be read: ${(err as Error).message}.`, { in: 'body' }));
      return;
    }
    let file: Promise<Buffer> | undefined;
    parser.on('file', (field, stream) => {
      if (field !== 'file' || file) {
        stream.resume();
        return;
      }
      file = new Promise<Buffer>((done, fail) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('limit', () => fail(new DomainError(ErrorCode.PayloadTooLarge, `The image is larger than ${maxBytes} bytes (IMAGE_MAX_BYTES).`,
          { maxBytes })));
        stream.on('end', () => done(Buffer.concat(chunks)));
      });
      file.catch(() => stream.resume());
    });
    parser.on('error', (err: Error) => reject(new DomainError(ErrorCode.ValidationFailed, `The multipart body cannot be read: ${err.message}.`, { in: 'body' })));
    parser.on('close', () => {
      if (!file) reject(new DomainError(ErrorCode.ValidationFailed, 'The body has no file in the field "file".', { in: 'body' }));
      else file.then(resolve, reject);
    });
    ctx.req.pipe(parser);
  });
}
