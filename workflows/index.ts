/** The worker's workflowsPath: every workflow the worker runs is exported here. */
export { checkout } from './checkout';
export { payment } from './payment';
export { fulfillment } from './fulfillment';
