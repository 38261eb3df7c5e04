/** Debian's Chromium, driven by puppeteer-core: the ops screenshots, the storefront's browser tests and its benchmark. */
import { existsSync } from 'node:fs';

export function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter(Boolean) as string[];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('Chromium is not installed: `apt-get update && apt-get install -y chromium` (as root; .ci/run does it), or set CHROMIUM_PATH.');
  return found;
}

/** A new profile per run (puppeteer makes one), nothing fetched from the internet, no GPU in a container. */
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars'];
