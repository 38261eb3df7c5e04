/**
 * Schemathesis against the served OpenAPI document (src/integrations/schemathesis.ts): the real API, a
 * real worker, PostgreSQL and Temporal, on loopback only. Every operation gets generated requests, valid
 * and invalid, with a fixed seed and a bounded number of examples and time, as an admin (so the staff
 * routes are reached too). What must hold: no 5xx, every status answered is one the document lists, every
 * body and header conforms to it, invalid input is refused, valid input is not refused for its shape.
 *
 * In `npm test` (and CI) the counts are small (FUZZ_MAX_EXAMPLES, default 4; FUZZ_MAX_TIME, default 150 s);
 * `npm run fuzz` runs the same with more (docs/robustness.md).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalImageStorage } from '../../src/integrations/image-storage';
import { requireSchemathesis } from '../../src/integrations/schemathesis';
import { startApiWorld, stopApiWorld, STAFF_TOKEN, type ApiWorld } from '../support/api';

const MAX_EXAMPLES = Number(process.env.FUZZ_MAX_EXAMPLES ?? 4);
const MAX_TIME_S = Number(process.env.FUZZ_MAX_TIME ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);

let world: ApiWorld;
let reports: string;

beforeAll(async () => {
  reports = mkdtempSync(join(tmpdir(), 'fuzz-'));
  // The webhooks and the image storage configured, as in production: a bad signature or upload is refused, not 503 not_configured.
  world = await startApiWorld({ stock: 1_000_000, api: { app: { stripeWebhookSecret: 'whsec_fuzz_0123456789', carrierWebhookSecret: 'carrier-fuzz-secret',
    twilioAuthToken: 'twilio-fuzz-token', publicBaseUrl: 'https://shop.example.com', images: new LocalImageStorage(join(reports, 'images')) } } });
});
afterAll(async () => {
  await stopApiWorld(world);
  if (reports) rmSync(reports, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => { output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

it(`answers every generated request without a 5xx and as its OpenAPI document says (${MAX_EXAMPLES} examples an operation, seed ${SEED})`, async () => {
  const st = requireSchemathesis().path;
  // The checks, and what each operation may answer, are in schemathesis.toml. The output is not sanitized: the only secret is this test's key.
  const { code, output } = await run(st, ['--config-file', join(__dirname, 'schemathesis.toml'), 'run', `${world.api.url}/openapi.json`,
    '--url', world.api.url, '--output-sanitize', 'false',
    '--max-examples', String(MAX_EXAMPLES), '--seed', String(SEED), '--max-time', String(MAX_TIME_S),
    // One worker: Python 3.11's ast.parse is not safe across threads (Hypothesis describes its filters with it; "AST constructor recursion depth mismatch").
    '--workers', '1',
    '--request-timeout', '30', '--no-shrink', '--warnings', 'off',
    '-H', `Authorization: Bearer ${STAFF_TOKEN}`,
    '--report', 'junit', '--report-junit-path', join(reports, 'junit.xml')], reports, (MAX_TIME_S + 120) * 1000);
  if (code !== 0) {
    process.stdout.write(output);
    // One line per operation and failed check, so the test's own message says what broke.
    const junit = existsSync(join(reports, 'junit.xml')) ? readFileSync(join(reports, 'junit.xml'), 'utf8') : '';
    const failed = [...junit.matchAll(/<testcase[^>]*name="([^"]*)"[^>]*>\s*<failure[^>]*message="([^"]{0,200})/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(failed.length ? failed : [output.slice(-3000)]).toEqual([]);
  }
  expect(code).toBe(0);
  // It did test: every operation of the document, with cases generated and answered.
  const selected = Number(/Selected: (\d+)\/(\d+)/.exec(output)?.[2]);
  const tested = Number(/Tested: (\d+)/.exec(output)?.[1]);
  const generated = Number(/(\d+) generated/.exec(output)?.[1]);
  process.stdout.write(`[fuzz] ${tested} of ${selected} operations tested, ${generated} cases generated, seed ${SEED}\n`);
  expect(selected).toBeGreaterThan(90);
  expect(tested).toBe(selected);
  expect(generated).toBeGreaterThan(selected * 5);
}, (MAX_TIME_S + 180) * 1000);
