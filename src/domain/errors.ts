/**
 * Typed business errors. Each carries a stable machine-readable code; the API maps the code to
 * an HTTP status once (src/api/errors.ts), and workflows turn them into non-retryable
 * ApplicationFailures of the same type, so tests can assert on the code everywhere.
 */
export const ErrorCode = {
  ValidationFailed: 'validation_failed',
  // A search cursor that this API did not make, or made for another search (its query, filters or sort changed).
  InvalidCursor: 'invalid_cursor',
  InvalidJson: 'invalid_json',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  NotFound: 'not_found',
  Unauthorized: 'unauthorized',
  // Customer accounts: a wrong e-mail or password (one answer for both), an address already registered,
  // a password the rules refuse, a one-time link unknown, used or expired, a saved address that is not the caller's.
  InvalidCredentials: 'invalid_credentials',
  CurrentPasswordWrong: 'current_password_wrong',
  EmailTaken: 'email_taken',
  WeakPassword: 'weak_password',
  InvalidLink: 'invalid_link',
  EmailAlreadyVerified: 'email_already_verified',
  AddressNotFound: 'address_not_found',
  TooManyAddresses: 'too_many_addresses',
  // A valid staff key whose owner lacks the role the route or command needs.
  Forbidden: 'forbidden',
  // Too many attempts of something limited (cart creation, checkout, declined payments, sign-in): retry after Retry-After.
  RateLimited: 'rate_limited',
  StaffNameTaken: 'staff_name_taken',
  ProductNotFound: 'product_not_found',
  CartNotFound: 'cart_not_found',
  CartNotActive: 'cart_not_active',
  CartExpired: 'cart_expired',
  CartEmpty: 'cart_empty',
  CartTooLarge: 'cart_too_large',
  LineNotFound: 'line_not_found',
  UnknownSku: 'unknown_sku',
  // A variant with no price in the cart's currency cannot go into it (a cart in EUR uses EUR prices).
  NoPriceInCurrency: 'no_price_in_currency',
  // Only published products can be bought; a draft or archived one in a cart cannot be checked out.
  ProductUnavailable: 'product_unavailable',
  InsufficientStock: 'insufficient_stock',
  OutOfStock: 'out_of_stock',
  InventoryConflict: 'inventory_conflict',
  IdempotencyKeyReused: 'idempotency_key_reused',
  OrderNotFound: 'order_not_found',
  OrderNotCancellable: 'order_not_cancellable',
  PaymentDeclined: 'payment_declined',
  PaymentNotAwaitingAction: 'payment_not_awaiting_action',
  // Support actions: the order's workflow (or the payment row) said no, with the reason in the message.
  ActionRefused: 'action_refused',
  NothingToRefund: 'nothing_to_refund',
  // A refund by lines asks for more of a line than the order has left to refund.
  RefundExceedsOrdered: 'refund_exceeds_ordered',
  RefundExceedsCaptured: 'refund_exceeds_captured',
  ShipmentNotFound: 'shipment_not_found',
  // Privacy: a payload the codec endpoint cannot decrypt (a key not among PAYLOAD_KEYS, or altered bytes); a customer
  // unknown to a staff privacy route; an erasure that is not there to decide on.
  PayloadUndecryptable: 'payload_undecryptable',
  CustomerNotFound: 'customer_not_found',
  ErasureNotFound: 'erasure_not_found',
  // Catalog administration (src/store/catalog-admin.ts).
  VariantNotFound: 'variant_not_found',
  CategoryNotFound: 'category_not_found',
  CollectionNotFound: 'collection_not_found',
  AttributeNotFound: 'attribute_not_found',
  ImageNotFound: 'image_not_found',
  HandleTaken: 'handle_taken',
  SkuTaken: 'sku_taken',
  DuplicateVariant: 'duplicate_variant',
  CategoryCycle: 'category_cycle',
  // Still used by something that would break without it (a category's children, stock reserved by live orders, a value a variant picks).
  InUse: 'in_use',
  ProductNotPublishable: 'product_not_publishable',
  // Bulk catalog imports (docs/catalog.md#bulk-import): a file that cannot be read as the format it claims, an import that does not exist.
  ImportFileInvalid: 'import_file_invalid',
  ImportNotFound: 'import_not_found',
  // Optimistic concurrency: a write must name the version it read (If-Match), and that version must still be the current one.
  IfMatchRequired: 'if_match_required',
  VersionMismatch: 'version_mismatch',
  // Pricing (docs/pricing.md): shipping, taxes and promotions, and their staff routes.
  ShippingZoneNotFound: 'shipping_zone_not_found',
  ShippingMethodNotFound: 'shipping_method_not_found',
  TaxRegionNotFound: 'tax_region_not_found',
  PromotionNotFound: 'promotion_not_found',
  // Checkout needs somewhere to ship to and, where the store ships at a charge, a method that serves it.
  ShippingAddressRequired: 'shipping_address_required',
  ShippingMethodRequired: 'shipping_method_required',
  // The chosen method does not serve the cart's address or currency (any more).
  ShippingMethodUnavailable: 'shipping_method_unavailable',
  // A promotion code refused, each for its own reason.
  PromotionCodeUnknown: 'promotion_code_unknown',
  PromotionNotStarted: 'promotion_not_started',
  PromotionExpired: 'promotion_expired',
  PromotionMinimumNotMet: 'promotion_minimum_not_met',
  PromotionNotApplicable: 'promotion_not_applicable',
  PromotionLimitReached: 'promotion_limit_reached',
  PromotionNotCombinable: 'promotion_not_combinable',
  PromotionNotInCart: 'promotion_not_in_cart',
  // Dispatch: the payment row or the provider refused the capture, so the parcel stays.
  PaymentNotCapturable: 'payment_not_capturable',
  CaptureFailed: 'capture_failed',
  // A provider said no for good, or is down (the provider's own code is in the failure's details).
  PaymentProviderError: 'payment_provider_error',
  NotifierError: 'notifier_error',
  CarrierError: 'carrier_error',
  // The database refused the data itself for good (a data exception or an integrity violation): retrying the same data cannot help.
  DataRejected: 'data_rejected',
  // A workflow was started with input it cannot run (a programming or configuration error, never a customer's).
  InvalidWorkflowInput: 'invalid_workflow_input',
  // The HTTP layer itself: a method the path does not serve, a webhook whose secret is not configured or whose signature fails.
  MethodNotAllowed: 'method_not_allowed',
  NotConfigured: 'not_configured',
  InvalidSignature: 'invalid_signature',
  ServiceUnavailable: 'service_unavailable',
  Internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (code: ErrorCode, what: string, id: string): DomainError =>
  new DomainError(code, `${what} ${id} does not exist.`, { id });
