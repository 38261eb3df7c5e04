/** The signed-in customer's saved addresses: at most one the default, each usable at checkout by id (shippingAddressId). */
import { z } from 'zod';
import { addAddress, addressesOf, deleteAddress, updateAddress, type AddressRow } from '../../store/addresses';
import { customerOf } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { shippingAddress } from '../schemas';
import { addressView } from '../account-schemas';
import { signedInOnly } from './me';

const params = z.strictObject({ id: z.uuid('an address id as returned by POST /me/addresses') });
const NO_ADDRESS = { 404: { description: 'No saved address of yours with that id (address_not_found)' } };
const isDefault = z.boolean().meta({ description: 'Make this the default address (the one before stops being it).' });

/** A change: any field of an address (null clears line2 or region), and isDefault. */
const addressPatch = z.strictObject({
  ...shippingAddress.partial().shape,
  line2: shippingAddress.shape.line2.unwrap().nullable().optional(),
  region: shippingAddress.shape.region.unwrap().nullable().optional(),
  isDefault: isDefault.optional(),
});

function addressViewOf(a: AddressRow): z.infer<typeof addressView> {
  return { id: a.id, name: a.name, line1: a.line1, ...(a.line2 ? { line2: a.line2 } : {}), city: a.city, ...(a.region ? { region: a.region } : {}),
    postalCode: a.postal_code, country: a.country, isDefault: a.is_default,
    createdAt: new Date(a.created_at).toISOString(), updatedAt: new Date(a.updated_at).toISOString() };
}

export const myAddressRoutes = [
  route({
    ...signedInOnly, method: 'get', path: '/me/addresses',
    summary: 'The saved addresses, the default first',
    responses: { 200: { description: 'The addresses', schema: z.object({ items: z.array(addressView) }) } },
    handler: async (ctx) => {
      ctx.body = { items: (await addressesOf(emOf(ctx), customerOf(ctx).customerId)).map(addressViewOf) };
    },
  }),
  route({
    ...signedInOnly, method: 'post', path: '/me/addresses',
    summary: 'Save an address (the first one becomes the default)',
    body: shippingAddress.extend({ isDefault: isDefault.default(false) }),
    responses: { 201: { description: 'The saved address', schema: addressView },
      422: { description: 'The account holds as many addresses as it may (too_many_addresses)' } },
    handler: async (ctx, { body }) => {
      const { isDefault: makeDefault, ...address } = body;
      const saved = await addAddress(emOf(ctx), customerOf(ctx).customerId, address, makeDefault);
      ctx.status = 201;
      ctx.set('Location', `/me/addresses/${saved.id}`);
      ctx.body = addressViewOf(saved);
    },
  }),
  route({
    ...signedInOnly, method: 'patch', path: '/me/addresses/:id',
    summary: 'Change a saved address, or make it the default',
    params, body: addressPatch,
    responses: { 200: { description: 'The address as changed', schema: addressView }, ...NO_ADDRESS },
    handler: async (ctx, { params, body }) => {
      ctx.body = addressViewOf(await updateAddress(emOf(ctx), customerOf(ctx).customerId, params.id, body));
    },
  }),
  route({
    ...signedInOnly, method: 'delete', path: '/me/addresses/:id',
    summary: 'Delete a saved address (if it was the default, the most recently saved other one becomes it)',
    params,
    responses: { 204: { description: 'Deleted' }, ...NO_ADDRESS },
    handler: async (ctx, { params }) => {
      await deleteAddress(emOf(ctx), customerOf(ctx).customerId, params.id);
      ctx.status = 204;
    },
  }),
];
