/** The pages the e-mailed links open: the token is in the URL's fragment (never sent to a server), posted to the API from here. */
import { useEffect, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { ErrorNote, Loading, Notice } from '../components/bits';
import { useTitle } from '../components/use-data';

const tokenOfLink = () => new URLSearchParams(location.hash.slice(1)).get('token') ?? undefined;

/** The link's token, also when the link is opened in a tab already on this page (only the fragment changes). */
function useLinkToken(): string | undefined {
  const [token, setToken] = useState(tokenOfLink);
  useEffect(() => {
    const changed = () => setToken(tokenOfLink());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return token;
}

export function ResetPassword() {
  useTitle('Reset your password');
  const token = useLinkToken();
  const [value, setValue] = useState('');
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; done?: string }>({});
  useEffect(() => { setValue(''); setState({}); }, [token]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setState({ busy: true });
    try {
      if (token) {
        await call(api.POST('/auth/password-reset/confirm', { body: { token, password: value } }));
        setState({ done: 'Your password is changed, and every session of your account has ended. Sign in with the new one.' });
      } else {
        await call(api.POST('/auth/password-reset', { body: { email: value } }));
        setState({ done: 'If an account has this address, an e-mail with a link to choose a new password is on its way. The link works for an hour.' });
      }
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <section class="narrow">
      <h1>{token ? 'Choose a new password' : 'Reset your password'}</h1>
      {state.done ? <Notice>{state.done} <a href="/shop/account/sign-in">Sign in</a></Notice> : (
        <form class="form" onSubmit={submit}>
          {token
            ? <label>New password <input type="password" name="password" required minLength={8} autocomplete="new-password" value={value} onInput={(e) => setValue(e.currentTarget.value)} /></label>
            : <label>E-mail <input type="email" name="email" required autocomplete="email" value={value} onInput={(e) => setValue(e.currentTarget.value)} /></label>}
          <ErrorNote error={state.error} />
          <button type="submit" class="button primary" disabled={state.busy}>{token ? 'Set the new password' : 'E-mail me a link'}</button>
        </form>
      )}
    </section>
  );
}

export function VerifyEmail() {
  useTitle('Confirm your e-mail address');
  const token = useLinkToken();
  const [state, setState] = useState<{ error?: unknown; done?: boolean }>({});
  useEffect(() => {
    if (!token) return setState({ error: new Error('This link has no token: open the link from the e-mail again.') });
    setState({});
    call(api.POST('/auth/verify-email', { body: { token } })).then(() => setState({ done: true }), (error: unknown) => setState({ error }));
  }, [token]);
  return (
    <section class="narrow">
      <h1>Confirm your e-mail address</h1>
      {state.done ? <Notice>Your address is confirmed. Orders you placed with it as a guest are now in <a href="/shop/account/orders">your orders</a>.</Notice>
        : state.error ? <ErrorNote error={state.error} /> : <Loading what="your confirmation" />}
    </section>
  );
}
