import { z } from 'zod';
import { route } from '../http';
import type { AppDeps } from '../deps';
import { emOf } from '../context';
import { pingDatabase } from '../../store/health';

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
      summary: 'PostgreSQL and Temporal are reachable (readiness)',
      responses: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'Not ready (a dependency is down, or this replica is draining); the checks say which', schema: readiness },
      },
      handler: async (ctx) => {
        const [postgres, temporal] = await Promise.all([
          probe(() => pingDatabase(emOf(ctx))),
          probe(() => deps.temporal.ping()),
        ]);
        const ready = postgres.ok && temporal.ok && !deps.isShuttingDown?.();
        ctx.status = ready ? 200 : 503;
        ctx.body = { status: ready ? 'ready' : 'not_ready', checks: { postgres, temporal } };
      },
    }),
  ];
}

async function probe(fn: () => Promise<void>): Promise<{ ok: boolean; error?: string }> {
  try {
    await withTimeout(fn(), 2000);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
