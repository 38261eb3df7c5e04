import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { ErrorBoundary, lazy, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { Header } from './components/header';
import { Home } from './pages/home';
import { Search } from './pages/search';
import { ProductPage } from './pages/product';
import { CartPage } from './pages/cart';
import { NotFound } from './pages/not-found';
import './styles.css';

// Pages a first visit rarely needs come in their own files, loaded when opened.
const Account = lazy(() => import('./pages/account').then((m) => m.AccountPage));
const SignIn = lazy(() => import('./pages/sign-in').then((m) => m.SignIn));
const SignUp = lazy(() => import('./pages/sign-in').then((m) => m.SignUp));
const ResetPassword = lazy(() => import('./pages/reset-password').then((m) => m.ResetPassword));
const VerifyEmail = lazy(() => import('./pages/reset-password').then((m) => m.VerifyEmail));
const MyOrders = lazy(() => import('./pages/my-orders').then((m) => m.MyOrders));
const Checkout = lazy(() => import('./pages/checkout').then((m) => m.Checkout));
const Authenticate = lazy(() => import('./pages/authenticate').then((m) => m.Authenticate));
const OrderPage = lazy(() => import('./pages/order').then((m) => m.OrderPage));

/**
 * After a navigation to another page, focus moves to its heading, so a screen reader announces it
 * and Tab starts there. A change of the same page's query (a filter ticked, a sort picked) leaves
 * the focus where the shopper is; the page decides (search moves it to the results' heading on a new page of them).
 */
function FocusOnNavigate() {
  const { path } = useLocation();
  useEffect(() => {
    const heading = document.querySelector<HTMLElement>('main h1');
    if (heading && document.activeElement?.tagName !== 'INPUT') {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    scrollTo(0, 0);
  }, [path]);
  return null;
}

function App() {
  return (
    <LocationProvider scope="/shop">
      <a class="skip" href="#main">Skip to content</a>
      <Header />
      <main id="main">
        <ErrorBoundary>
          <Router onRouteChange={() => undefined}>
            <Route path="/shop/" component={Home} />
            <Route path="/shop/search" component={Search} />
            <Route path="/shop/products/:handle" component={ProductPage} />
            <Route path="/shop/cart" component={CartPage} />
            <Route path="/shop/checkout" component={Checkout} />
            <Route path="/shop/checkout/authenticate/:intentId" component={Authenticate} />
            <Route path="/shop/orders/:id" component={OrderPage} />
            <Route path="/shop/account" component={Account} />
            <Route path="/shop/account/orders" component={MyOrders} />
            <Route path="/shop/account/sign-in" component={SignIn} />
            <Route path="/shop/account/sign-up" component={SignUp} />
            <Route path="/shop/account/reset-password" component={ResetPassword} />
            <Route path="/shop/account/verify-email" component={VerifyEmail} />
            <Route default component={NotFound} />
          </Router>
        </ErrorBoundary>
        <FocusOnNavigate />
      </main>
      <footer class="footer">
        <p>A demo store of Temporal Commerce: every order is a durable workflow. Payments are simulated; no card is charged.</p>
      </footer>
    </LocationProvider>
  );
}

render(<App />, document.getElementById('app')!);
