/** The cart-expiry sweep (workflows/cart-expiry-sweep.ts), started by the Schedule of id CART_SWEEP_ID (src/contracts/temporal.ts). */

export interface CartSweepInput {
  /** Idle this long: one reminder to a known customer who opted in (CART_REMINDER_AFTER). */
  remindAfter: string;
  /** Idle this long: the cart expires and refuses writes (CART_TTL). */
  expireAfter: string;
  /** Idle this long: the expired cart is deleted (CART_RETENTION). */
  deleteAfter: string;
  /** Carts claimed per transaction. */
  batchSize: number;
  /** Batches per pass per run: bounds a run; the next run goes on where this one stopped. */
  maxBatches: number;
}

export interface CartSweepResult {
  asOf: string;
  reminded: number;
  reminderFailures: number;
  expired: number;
  deleted: number;
}

export type CartExpirySweepWorkflow = (input: CartSweepInput) => Promise<CartSweepResult>;
