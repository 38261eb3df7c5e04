/**
 * The secrets production refuses to start without (src/config.ts: PAYLOAD_KEYS and PAYLOAD_KEY_ID,
 * ORDER_TOKEN_KEY), made once per benchmark run. The benchmarks' API and worker processes run with
 * NODE_ENV=production and get these in their environment, so they encrypt workflow payloads as
 * production does (the codec's cost is part of what is measured); the benchmark's own Temporal
 * clients read and write with the same key (benchPayloadCodec). Nothing outlives the run.
 */
import { randomBytes } from 'node:crypto';
import { newPayloadKeyEntry, parsePayloadKeys, PayloadEncryptionCodec } from '../../src/temporal/codec';

const KEY_ID = 'bench';

export const BENCH_SECRETS = {
  PAYLOAD_KEYS: newPayloadKeyEntry(KEY_ID),
  PAYLOAD_KEY_ID: KEY_ID,
  ORDER_TOKEN_KEY: randomBytes(48).toString('base64'),
} as const;

/** The codec of this run's payload key, for the benchmark's own clients. */
export function benchPayloadCodec(): PayloadEncryptionCodec {
  return new PayloadEncryptionCodec(parsePayloadKeys(BENCH_SECRETS.PAYLOAD_KEYS, BENCH_SECRETS.PAYLOAD_KEY_ID));
}
