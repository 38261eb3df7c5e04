/**
 * Where the payload keys come from: PAYLOAD_KEYS and PAYLOAD_KEY_ID (validated in src/config.ts),
 * else, outside production, the key `npm run dev` made once and keeps in .data/payload-key beside
 * its staff key, so the API, the worker and `npm run support` of a laptop encrypt as production does
 * without any setting. Production refuses to start without PAYLOAD_KEYS (src/config.ts).
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config';
import { PROJECT_ROOT } from './binaries';
import { newPayloadKeyEntry, parsePayloadKeys, PayloadEncryptionCodec } from './codec';

/** `npm run dev`'s payload key (DEV_DATA_DIR, default .data/): one `id:base64key` line. */
export function devPayloadKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(resolve(env.DEV_DATA_DIR || join(PROJECT_ROOT, '.data')), 'payload-key');
}

/** The codec of this process, or undefined when no key is configured (encryption off: development only). */
export function payloadCodecFromConfig(config: Pick<Config, 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID' | 'NODE_ENV'>,
  env: NodeJS.ProcessEnv = process.env): PayloadEncryptionCodec | undefined {
  if (config.PAYLOAD_KEYS && config.PAYLOAD_KEY_ID) return new PayloadEncryptionCodec(parsePayloadKeys(config.PAYLOAD_KEYS, config.PAYLOAD_KEY_ID));
  if (config.NODE_ENV === 'production') return undefined;
  const file = devPayloadKeyFile(env);
  if (!existsSync(file)) return undefined;
  const entry = readFileSync(file, 'utf8').trim();
  return new PayloadEncryptionCodec(parsePayloadKeys(entry, entry.slice(0, entry.indexOf(':'))));
}

/** Makes `npm run dev`'s key once (kept between runs: histories written under it must stay readable). */
export function ensureDevPayloadKey(env: NodeJS.ProcessEnv = process.env): string {
  const file = devPayloadKeyFile(env);
  if (!existsSync(file)) {
    writeFileSync(file, `${newPayloadKeyEntry(`dev-${new Date().toISOString().slice(0, 10)}`)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return file;
}

/** PAYLOAD_KEYS and PAYLOAD_KEY_ID for processes started with a key kept in `dataDir` (npm run stack gives its API and workers these). */
export function payloadKeyEnvironment(dataDir: string): { PAYLOAD_KEYS: string; PAYLOAD_KEY_ID: string } {
  const entry = readFileSync(ensureDevPayloadKey({ DEV_DATA_DIR: dataDir }), 'utf8').trim();
  return { PAYLOAD_KEYS: entry, PAYLOAD_KEY_ID: entry.slice(0, entry.indexOf(':')) };
}
