/**
 * The storefront's only way to the server: the public REST API, typed by schema.d.ts (generated
 * from /openapi.json by `npm run gen:web-api`). Errors come back in the API's one shape and are
 * thrown as ApiError, whose message is the API's own sentence, shown to the shopper as it is.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { session } from '../state';

export type Schemas = components['schemas'];
export type Product = Schemas['ProductCard'];
export type ProductDetail = Schemas['ProductDetail'];
export type Cart = Schemas['Cart'];
export type Order = Schemas['Order'];
export type Money = Schemas['Money'];
export type Address = Schemas['ShippingAddress'];
export type TimelineEvent = Schemas['OrderTimelineEvent'];

export const api = createClient<paths>({ baseUrl: location.origin });

// Signed in, every request carries the session, unless it names its own credential (an order's access token).
api.use({
  onRequest({ request }) {
    const token = session.value?.token;
    if (token && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // An ended session is never quietly a guest: the API says so (401 invalid_token), and the shopper signs in again.
    if (response.status === 401 && /invalid_token/.test(response.headers.get('WWW-Authenticate') ?? '')) session.set(undefined);
    return response;
  },
});

export class ApiError extends Error {
  constructor(message: string, readonly code: string, readonly status: number, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

interface ErrorBody { error?: { code?: string; message?: string; details?: Record<string, unknown> } }

/** The data of an API call, or an ApiError carrying the API's message (or a plain one when the network failed). */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch {
    throw new ApiError('The shop could not be reached. Check your connection and try again.', 'network', 0);
  }
  if (result.response.ok) return result.data as T;
  const body = (result.error ?? {}) as ErrorBody;
  throw new ApiError(body.error?.message ?? `The shop answered ${result.response.status}.`, body.error?.code ?? 'unknown',
    result.response.status, body.error?.details);
}

export const bearer = (token: string | undefined): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});
