/**
 * Names shared by workflows, the API, the CLI and tests: search attributes, signals, queries and
 * updates are defined once, here. Search attributes are not encrypted by a payload codec, so
 * they hold ids, statuses and amounts only: never an e-mail, phone, name or address.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const OrderIdAttr = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const CustomerIdAttr = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusAttr = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const OrderTotalAttr = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);
export const ShipmentStatusAttr = defineSearchAttributeKey('ShipmentStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [OrderIdAttr, CustomerIdAttr, OrderStatusAttr, OrderTotalAttr, ShipmentStatusAttr];

export const TASK_QUEUE = 'commerce';
