/** The worker's workflowsPath: every workflow the worker runs is exported here. */
import type { CheckoutWorkflow } from '../src/contracts/order';
import type { PaymentWorkflow } from '../src/contracts/payment';
import type { FulfillmentWorkflow } from '../src/contracts/fulfillment';
import type { ShipmentTrackingWorkflow } from '../src/contracts/shipment';
import type { CartExpirySweepWorkflow } from '../src/contracts/cart-sweep';
import type { AccountMessageWorkflow } from '../src/contracts/account';
import type { CatalogImageSweepWorkflow } from '../src/contracts/catalog-image-sweep';
import type { CatalogImportWorkflow } from '../src/contracts/catalog-import';
import type { GdprErasureWorkflow, PrivacyRetentionWorkflow } from '../src/contracts/privacy';
import { checkout } from './checkout';
import { payment } from './payment';
import { cartExpirySweep } from './cart-expiry-sweep';
import { catalogImageSweep } from './catalog-image-sweep';
import { catalogImport } from './catalog-import';
import { fulfillment } from './fulfillment';
import { shipmentTracking } from './shipment-tracking';
import { accountMessage } from './account-message';
import { gdprErasure } from './gdpr-erasure';
import { privacyRetention } from './privacy-retention';

export { checkout, payment, cartExpirySweep, catalogImageSweep, catalogImport, fulfillment, shipmentTracking, accountMessage, gdprErasure, privacyRetention };

/** Clients start these by name with the shapes in src/contracts/: a workflow that drifts from its contract fails the build here. */
const _contracts: [CheckoutWorkflow, PaymentWorkflow, FulfillmentWorkflow, ShipmentTrackingWorkflow, CartExpirySweepWorkflow, CatalogImageSweepWorkflow,
  CatalogImportWorkflow, AccountMessageWorkflow, GdprErasureWorkflow, PrivacyRetentionWorkflow] = [checkout, payment, fulfillment, shipmentTracking,
  cartExpirySweep, catalogImageSweep, catalogImport, accountMessage, gdprErasure, privacyRetention];
