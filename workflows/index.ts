/** The worker's workflowsPath: every workflow the worker runs is exported here. */
export { checkout } from './checkout';
export { payment } from './payment';
export { cartExpirySweep } from './cart-expiry-sweep';
export { fulfillment } from './fulfillment';
export { shipmentTracking } from './shipment-tracking';
