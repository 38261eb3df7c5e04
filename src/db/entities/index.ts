export * from './catalog';
export * from './customers';
export * from './carts';
export * from './orders';
export * from './shipments';
export * from './notifications';

import { Inventory, Product, Reservation, Variant, VariantPrice } from './catalog';
import { Customer } from './customers';
import { Cart, CartLine } from './carts';
import { Order, OrderLine, Payment, Refund } from './orders';
import { Shipment, ShipmentEvent } from './shipments';
import { Notification, WebhookEvent } from './notifications';

export const ALL_ENTITIES = [Product, Variant, VariantPrice, Inventory, Reservation, Customer, Cart, CartLine,
  Order, OrderLine, Payment, Refund, Shipment, ShipmentEvent, Notification, WebhookEvent];
