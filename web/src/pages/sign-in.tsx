import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, call } from '../api/client';
import { ErrorNote } from '../components/bits';
import { useTitle } from '../components/use-data';
import { cartId, session } from '../state';
import { loadCart } from '../cart';

type Mode = 'sign-in' | 'sign-up';

function AuthForm({ mode }: { mode: Mode }) {
  const { route, query } = useLocation();
  const [form, setForm] = useState({ email: '', password: '', name: '' });
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useTitle(mode === 'sign-in' ? 'Sign in' : 'Create an account');
  const field = (name: keyof typeof form) => ({ value: form[name], onInput: (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value }) });

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // The guest cart comes along into the account (merged into the account's open cart, if it has one).
      const guestCart = cartId.value;
      const body = { email: form.email, password: form.password, ...(guestCart ? { cartId: guestCart } : {}) };
      const answer = mode === 'sign-in' ? await call(api.POST('/auth/sign-in', { body }))
        : await call(api.POST('/auth/sign-up', { body: { ...body, name: form.name || undefined } }));
      session.set({ token: answer.session.token, email: answer.customer.email, name: answer.customer.name });
      // The account's open cart (the guest cart adopted, or the one it was merged into) is the cart from now on.
      cartId.set(answer.cart.id ?? undefined);
      await loadCart().catch(() => undefined);
      route(query.next && query.next.startsWith('/shop/') ? query.next : '/shop/account');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="narrow">
      <h1>{mode === 'sign-in' ? 'Sign in' : 'Create an account'}</h1>
      <form onSubmit={submit} class="form">
        {mode === 'sign-up' ? <label>Name <input name="name" autocomplete="name" {...field('name')} /></label> : null}
        <label>E-mail <input name="email" type="email" required autocomplete="email" {...field('email')} /></label>
        <label>Password <input name="password" type="password" required minLength={8}
          autocomplete={mode === 'sign-in' ? 'current-password' : 'new-password'} {...field('password')} /></label>
        <ErrorNote error={error} />
        <button type="submit" class="button primary" disabled={busy}>{busy ? 'One moment…' : mode === 'sign-in' ? 'Sign in' : 'Create account'}</button>
      </form>
      {mode === 'sign-in' ? (
        <p><a href="/shop/account/reset-password">Forgot your password?</a> · <a href="/shop/account/sign-up">Create an account</a></p>
      ) : <p>Have an account? <a href="/shop/account/sign-in">Sign in</a></p>}
    </section>
  );
}

export const SignIn = () => <AuthForm mode="sign-in" />;
export const SignUp = () => <AuthForm mode="sign-up" />;
