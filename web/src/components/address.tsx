import type { Address } from '../api/client';

export const emptyAddress = (): Address => ({ name: '', line1: '', city: '', postalCode: '', country: 'GB' });

const COUNTRIES: [string, string][] = [['GB', 'United Kingdom'], ['US', 'United States'], ['DE', 'Germany'], ['FR', 'France'], ['IE', 'Ireland'], ['NL', 'Netherlands']];

export function AddressFields({ value, onChange, idPrefix }: { value: Address; onChange: (a: Address) => void; idPrefix: string }) {
  const field = (name: keyof Address, label: string, autocomplete: string, required = true) => (
    <label for={`${idPrefix}-${name}`}>{label}{required ? '' : ' (optional)'}
      <input id={`${idPrefix}-${name}`} name={name} required={required} autocomplete={autocomplete} value={value[name] ?? ''}
        onInput={(e) => { const v = e.currentTarget.value; onChange({ ...value, [name]: v === '' && !required ? undefined : v }); }} />
    </label>
  );
  return (
    <div class="address-fields">
      {field('name', 'Full name', 'name')}
      {field('line1', 'Address', 'address-line1')}
      {field('line2', 'Address line 2', 'address-line2', false)}
      {field('city', 'City', 'address-level2')}
      {field('region', 'Region', 'address-level1', false)}
      {field('postalCode', 'Postcode', 'postal-code')}
      <label for={`${idPrefix}-country`}>Country
        <select id={`${idPrefix}-country`} name="country" autocomplete="country" value={value.country} onChange={(e) => onChange({ ...value, country: e.currentTarget.value })}>
          {COUNTRIES.map(([code, name]) => <option key={code} value={code}>{name}</option>)}
        </select>
      </label>
    </div>
  );
}
