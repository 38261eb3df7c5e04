import { useTitle } from '../components/use-data';

export function NotFound() {
  useTitle('Not found');
  return (
    <section>
      <h1>This page does not exist</h1>
      <p><a href="/shop/">Back to the shop</a></p>
    </section>
  );
}
