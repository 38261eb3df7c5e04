/**
 * One JSON error shape everywhere: { "error": { "code", "message", "details" } }, and the one
 * place where a domain error code becomes an HTTP status. Koa's default handler answers in
 * plain text, so this middleware sits first in the stack.
 */
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';
import { dataRejection } from '../store/errors';

/** Every code a caller can see, and its status: a new code does not compile until it has one here. */
const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  invalid_cursor: 400,
  invalid_json: 400,
  invalid_signature: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  // Signed in, but the password given to confirm a change is wrong: the session itself is fine (not a 401).
  current_password_wrong: 403,
  invalid_link: 400,
  email_taken: 409,
  email_already_verified: 409,
  address_not_found: 404,
  weak_password: 422,
  too_many_addresses: 422,
  forbidden: 403,
  payment_declined: 402,
  not_found: 404,
  product_not_found: 404,
  cart_not_found: 404,
  line_not_found: 404,
  order_not_found: 404,
  shipment_not_found: 404,
  variant_not_found: 404,
  category_not_found: 404,
  collection_not_found: 404,
  attribute_not_found: 404,
  image_not_found: 404,
  import_not_found: 404,
  shipping_zone_not_found: 404,
  shipping_method_not_found: 404,
  tax_region_not_found: 404,
  promotion_not_found: 404,
  promotion_not_in_cart: 404,
  method_not_allowed: 405,
  cart_not_active: 409,
  cart_expired: 409,
  insufficient_stock: 409,
  out_of_stock: 409,
  inventory_conflict: 409,
  order_not_cancellable: 409,
  payment_not_awaiting_action: 409,
  action_refused: 409,
  payload_undecryptable: 422,
  customer_not_found: 404,
  erasure_not_found: 404,
  nothing_to_refund: 409,
  refund_exceeds_captured: 409,
  refund_exceeds_ordered: 409,
  shipping_method_unavailable: 409,
  promotion_limit_reached: 409,
  promotion_not_combinable: 409,
  staff_name_taken: 409,
  // Refusals of the order's money or parcel, by our rules or a provider's final "no" (a refund Stripe refuses):
  // what a support action answers when the order's workflow reports one.
  payment_not_capturable: 409,
  capture_failed: 409,
  payment_provider_error: 409,
  notifier_error: 409,
  carrier_error: 409,
  handle_taken: 409,
  sku_taken: 409,
  duplicate_variant: 409,
  category_cycle: 409,
  in_use: 409,
  version_mismatch: 412,
  if_match_required: 428,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unknown_sku: 422,
  no_price_in_currency: 422,
  product_unavailable: 422,
  product_not_publishable: 422,
  import_file_invalid: 422,
  cart_empty: 422,
  shipping_address_required: 422,
  shipping_method_required: 422,
  promotion_code_unknown: 422,
  promotion_not_started: 422,
  promotion_expired: 422,
  promotion_minimum_not_met: 422,
  promotion_not_applicable: 422,
  cart_too_large: 422,
  idempotency_key_reused: 422,
  // What a support action answers when the step it asked for was refused by the database for good.
  data_rejected: 422,
  rate_limited: 429,
  // A workflow started with input it cannot run: our bug, never the caller's.
  invalid_workflow_input: 500,
  internal_error: 500,
  service_unavailable: 503,
  not_configured: 503,
};

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(STATUS) as [ErrorCode, ...ErrorCode[]]).meta({ description: 'Stable machine-readable code, e.g. insufficient_stock.' }),
    message: z.string().meta({ description: 'What happened and what to do, for a person.' }),
    details: z.record(z.string(), z.unknown()),
    requestId: z.string().optional(),
  }),
}).meta({ id: 'Error' });

export function httpStatusOf(code: ErrorCode): number {
  return STATUS[code];
}

/**
 * How long a client should wait before retrying a request the API shed because Temporal (or the
 * database) did not answer in time: long enough for a restarting worker or frontend to come back,
 * short enough that a customer at checkout is still there.
 */
export const SERVICE_RETRY_AFTER_SECONDS = 5;

/**
 * Answers with the one error shape; the status is the code's, unless a provider's protocol asks for
 * another (Twilio: 403). A refusal that says when to come back (a rate limit, a shed request) says so
 * in Retry-After (RFC 9110), which clients and proxies read, as well as in the details.
 */
export function sendError(ctx: Context, code: ErrorCode, message: string, details: Record<string, unknown> = {}, status = httpStatusOf(code)): void {
  const retryAfter = typeof details.retryAfterSeconds === 'number' ? details.retryAfterSeconds
    : code === ErrorCode.ServiceUnavailable ? SERVICE_RETRY_AFTER_SECONDS : undefined;
  if (retryAfter !== undefined) ctx.set('Retry-After', String(retryAfter));
  ctx.status = status;
  ctx.body = { error: { code, message, details: retryAfter === undefined ? details : { ...details, retryAfterSeconds: retryAfter },
    requestId: ctx.state.requestId as string | undefined } };
}

/** The status errorMiddleware answers an error with (the router reports it against the route's document). */
export function statusOfError(err: unknown): number {
  if (err instanceof DomainError) return httpStatusOf(err.code);
  const status = (err as { status?: number }).status;
  if (status === 413 || status === 415 || status === 400) return status;
  return dataRejection(err)?.kind === 'data_exception' ? 400 : 500;
}

export async function errorMiddleware(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      sendError(ctx, ErrorCode.NotFound, `No route for ${ctx.method} ${ctx.path}. See /openapi.json for the routes this API serves.`);
    }
  } catch (err) {
    if (err instanceof DomainError) {
      sendError(ctx, err.code, err.message, err.details);
      return;
    }
    const status = (err as { status?: number }).status;
    if (status === 413) {
      sendError(ctx, ErrorCode.PayloadTooLarge, 'The request body is too large (limit 100 kB).');
    } else if (status === 400 && (err instanceof SyntaxError || 'body' in (err as object))) {
      sendError(ctx, ErrorCode.InvalidJson, 'The request body is not valid JSON.', { reason: (err as Error).message });
    } else if (status === 415) {
      sendError(ctx, ErrorCode.UnsupportedMediaType, 'Send the request body as application/json.');
    } else if (dataRejection(err)?.kind === 'data_exception') {
      // A value the request carried that PostgreSQL cannot take (a time zone offset out of range, a date before its
      // calendar, a number past its type): the statement failed, nothing was written, and the client's data is at fault.
      const rejected = dataRejection(err)!;
      ctx.state.logger?.warn({ err, sqlState: rejected.sqlState }, 'the database refused a value of the request; answered 400');
      sendError(ctx, ErrorCode.ValidationFailed, `A value in the request cannot be stored: ${rejected.message}.`, { sqlState: rejected.sqlState });
    } else {
      ctx.state.logger?.error({ err }, 'request failed with an unexpected error; answered 500');
      sendError(ctx, ErrorCode.Internal, 'Something went wrong on our side. The request id in this response helps support find it.');
    }
  }
}
