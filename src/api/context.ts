import { RequestContext, type EntityManager } from '@mikro-orm/postgresql';
import type { Context } from 'koa';

/** The request's own EntityManager fork (MikroORM's RequestContext); never the global one. */
export function emOf(_ctx: Context): EntityManager {
  const em = RequestContext.getEntityManager();
  if (!em) throw new Error('No MikroORM request context: is the RequestContext middleware mounted?');
  return em as EntityManager;
}
