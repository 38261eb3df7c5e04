/** The order's point of no return, without any server: the one rule checkout, its validators and support's refunds share. */
import { hasShipped, isDispatching, isLabelled, type FulfillmentStage, type OrderStatus } from '../../src/domain/order';

describe('the point of no return', () => {
  it('is dispatch: a cancel is too late once the warehouse is dispatching, and nothing is rolled back once the order has shipped', () => {
    const at = (status: OrderStatus, stage?: FulfillmentStage) =>
      ({ shipped: hasShipped(status), dispatching: isDispatching(status, stage), labelled: isLabelled(status, stage) });
    expect(at('awaiting_fulfillment')).toEqual({ shipped: false, dispatching: false, labelled: false });
    expect(at('awaiting_fulfillment', 'packed')).toEqual({ shipped: false, dispatching: false, labelled: false });
    expect(at('awaiting_fulfillment', 'labelled')).toEqual({ shipped: false, dispatching: false, labelled: true });
    expect(at('awaiting_fulfillment', 'dispatching')).toEqual({ shipped: false, dispatching: true, labelled: true });
    expect(at('shipped', 'shipped')).toEqual({ shipped: true, dispatching: true, labelled: true });
    for (const status of ['delivered', 'returned'] as const) expect(at(status, 'shipped')).toEqual({ shipped: true, dispatching: true, labelled: true });
    // A cancelled order whose label was voided keeps the stage it reached.
    expect(at('cancelled', 'labelled')).toEqual({ shipped: false, dispatching: false, labelled: true });
  });
});
