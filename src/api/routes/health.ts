import { z } from 'zod';
import { route } from '../http';
import type { AppDeps } from '../deps';
import { emOf } from '../context';
import { pingDatabase } from '../../store/health';
import { warmSearchCopy } from '../../store/search';

const check = z.object({ ok: z.boolean(), error: z.string().optional() });

const readiness = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), check) }).meta({ id: 'Readiness' });

export function healthRoutes(deps: AppDeps) {
  return [
    route({
      method: 'get', path: '/healthz', tag: 'operations', access: 'public',
      summary: 'The process is up (liveness)',
      responses: { 200: { description: 'Up', schema: z.object({ status: z.literal('ok') }) } },
      handler: async (ctx) => {
        ctx.body = { status: 'ok' };
      },
    }),
    route({
      method: 'get', path: '/readyz', tag: 'operations', access: 'public',
      summary: 'PostgreSQL and Temporal are reachable and the catalog search copy is loaded (readiness)',
      responses: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'Not ready (a dependency is down, the search copy is still loading, or this replica is draining); the checks say which', schema: readiness },
      },
      handler: async (ctx) => {
        const [postgres, temporal, search] = await Promise.all([
          probe(() => pingDatabase(emOf(ctx))),
          probe(() => deps.temporal.ping()),
          // Loaded once when the API starts (seconds at 100,000 products); until then searches would wait for it.
          probe(() => warmSearchCopy(emOf(ctx)), 'the catalog search copy is still loading; this replica is ready once it is'),
        ]);
        const ready = postgres.ok && temporal.ok && search.ok && !deps.isShuttingDown?.();
        ctx.status = ready ? 200 : 503;
        ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { postgres, temporal, search } };
      },
    }),
  ];
}

async function probe(fn: () => Promise<unknown>, late?: string): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(fn(), 2000, late);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, late = `no answer within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(late)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
