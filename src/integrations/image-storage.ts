/**
 * Where uploaded product images live: a directory on local disk (`npm run dev`, a single-node
 * install; the API serves it under /media/), or an S3-compatible bucket (production: AWS S3,
 * MinIO, R2, …, through @aws-sdk/client-s3, configured by IMAGE_STORAGE=s3 and the S3_*
 * variables). Objects are content-addressed (src/domain/images.ts), so a put of an existing key
 * writes the same bytes again and nothing is ever overwritten with something else.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../temporal/binaries';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config';
import { IMAGE_KEY, imageKeyOf, type ImageType } from '../domain/images';

/** A year, immutable: a key never names other bytes, so a browser or CDN need never ask again. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface ImageStorage {
  readonly kind: 'local' | 's3';
  put(key: string, bytes: Buffer, contentType: ImageType): Promise<void>;
  /** Deleting a key that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** The URL a storefront loads the image from. */
  urlOf(key: string): string;
  /** Local storage only: the file to serve, or undefined when there is none. */
  open?(key: string): Promise<{ stream: ReadStream; bytes: number } | undefined>;
}

export function imageKey(bytes: Buffer, contentType: ImageType): string {
  return imageKeyOf(createHash('sha256').update(bytes).digest('hex'), contentType);
}

/** Files in one directory, named by key; served by the API at `${publicBase}/<key>` (default /media). */
export class LocalImageStorage implements ImageStorage {
  readonly kind = 'local';
  constructor(private readonly dir: string, private readonly publicBase = '/media') {}

  async put(key: string, bytes: Buffer): Promise<void> {
    checkKey(key);
    await mkdir(this.dir, { recursive: true });
    // Written aside and renamed: a reader never sees half a file under its final name.
    const partial = join(this.dir, `.${key}.${process.pid}.${Date.now()}.partial`);
    await writeFile(partial, bytes);
    await rename(partial, join(this.dir, key));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await rm(join(this.dir, key), { force: true });
  }

  urlOf(key: string): string {
    return `${this.publicBase.replace(/\/$/, '')}/${key}`;
  }

  async open(key: string): Promise<{ stream: ReadStream; bytes: number } | undefined> {
    if (!IMAGE_KEY.test(key)) return undefined;
    const path = join(this.dir, key);
    const info = await stat(path).catch(() => undefined);
    return info?.isFile() ? { stream: createReadStream(path), bytes: info.size } : undefined;
  }
}

export interface S3Settings {
  bucket: string;
  region: string;
  /** Another S3-compatible service (MinIO, R2, a local peer in tests); unset for AWS itself. */
  endpoint?: string;
  /** Bucket in the path (http://host/bucket/key) rather than the host name: MinIO and most local peers need it. */
  forcePathStyle: boolean;
  /** A prefix inside the bucket, e.g. "catalog/" (may be empty). */
  prefix: string;
  /** Where the world reads the objects: a CDN or the bucket's public URL. Defaults to the bucket's own URL. */
  publicBaseUrl?: string;
  /** Explicit credentials; unset, the SDK's default chain (environment, instance role, …) applies. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3ImageStorage implements ImageStorage {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(private readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region, endpoint: settings.endpoint, forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
    });
  }

  async put(key: string, bytes: Buffer, contentType: ImageType): Promise<void> {
    checkKey(key);
    await this.client.send(new PutObjectCommand({
      Bucket: this.settings.bucket, Key: this.settings.prefix + key, Body: bytes, ContentType: contentType,
      CacheControl: IMMUTABLE_CACHE_CONTROL, ContentLength: bytes.length,
    }));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.settings.prefix + key }));
  }

  urlOf(key: string): string {
    return `${this.baseUrl()}/${this.settings.prefix}${key}`;
  }

  private baseUrl(): string {
    const { publicBaseUrl, endpoint, bucket, region, forcePathStyle } = this.settings;
    if (publicBaseUrl) return publicBaseUrl.replace(/\/$/, '');
    if (endpoint) {
      const url = new URL(endpoint);
      return forcePathStyle ? `${url.origin}/${bucket}` : `${url.protocol}//${bucket}.${url.host}`;
    }
    return `https://${bucket}.s3.${region}.amazonaws.com`;
  }

  close(): void {
    this.client.destroy();
  }
}

function checkKey(key: string): void {
  if (!IMAGE_KEY.test(key)) throw new Error(`not an image key: ${key}`);
}

/** The storage the configuration names; `localDir` is where local files go unless IMAGE_LOCAL_DIR says otherwise. */
export type ImageStorageSettings = 'IMAGE_STORAGE' | 'IMAGE_LOCAL_DIR' | 'IMAGE_PUBLIC_BASE_URL' | 'S3_BUCKET' | 'S3_REGION'
  | 'S3_ENDPOINT' | 'S3_FORCE_PATH_STYLE' | 'S3_PREFIX' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY';

export function createImageStorage(config: Pick<Config, ImageStorageSettings>, localDir: string): ImageStorage {
  if (config.IMAGE_STORAGE === 'local') return new LocalImageStorage(config.IMAGE_LOCAL_DIR ?? localDir, config.IMAGE_PUBLIC_BASE_URL ?? '/media');
  return new S3ImageStorage({
    bucket: config.S3_BUCKET as string, region: config.S3_REGION, endpoint: config.S3_ENDPOINT, forcePathStyle: config.S3_FORCE_PATH_STYLE,
    prefix: config.S3_PREFIX, publicBaseUrl: config.IMAGE_PUBLIC_BASE_URL,
    credentials: config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } : undefined,
  });
}

/** Where local images go unless IMAGE_LOCAL_DIR says: media/ in the development data directory (DEV_DATA_DIR, else .data/). */
export function defaultImageDir(): string {
  return join(process.env.DEV_DATA_DIR || join(PROJECT_ROOT, '.data'), 'media');
}
