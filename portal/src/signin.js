import { useState } from "preact/hooks";
import { call, setToken } from "./api.js";
import { ErrorMessage, Field, html } from "./ui.js";
import { FactorForm } from "./factors.js";
import { cancelled, getPasskey, passkeysSupported } from "./webauthn.js";

export function SignIn({ onSignedIn, message }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  // A password sign-in of a user with a second factor: the restricted session, until
  // verifyMfa.
  const [pending, setPending] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { login } = await call("SignIn", { email, password });
      setPassword("");
      setToken(login.token);
      if (login.restriction === "MFA_REQUIRED") {
        setPending(login);
        setBusy(false);
      } else {
        onSignedIn(login.user, login.restriction);
      }
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  // Passwordless: the email, when typed, narrows the choice to that account's passkeys.
  const withPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      const { beginPasskeyLogin } = await call("BeginPasskeyLogin", { email: email.trim() || null });
      const credential = await getPasskey(beginPasskeyLogin);
      const { passkeyLogin } = await call("PasskeyLogin", { credential });
      setPassword("");
      setToken(passkeyLogin.token);
      onSignedIn(passkeyLogin.user, passkeyLogin.restriction);
    } catch (failure) {
      if (!cancelled(failure)) setError(failure);
      setBusy(false);
    }
  };
  if (pending) {
    return html`<${SecondFactor} pending=${pending} onSignedIn=${onSignedIn} />`;
  }
  return html`
    <main class="signin" id="main">
      <form class="card signin-card" onSubmit=${submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Sign in to Gatehouse</h1>
        ${message && html`<p class="notice" role="status">${message}</p>`}
        <${Field} label="Email">
          <input type="email" autocomplete="username" required value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} />
        <//>
        <${Field} label="Password">
          <input type="password" autocomplete="current-password" required value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
        <//>
        <${ErrorMessage} error=${error} />
        <button type="submit" class="primary wide" disabled=${busy}>Sign in</button>
        ${passkeysSupported() && html`
          <button type="button" class="wide" disabled=${busy} onClick=${withPasskey}>Sign in with a passkey</button>
        `}
        <p class="hint">
          Your session is kept in this tab's memory only, never stored by the browser:
          reloading the page or opening it in another tab asks you to sign in again.
        </p>
      </form>
    </main>
  `;
}

function SecondFactor({ pending, onSignedIn }) {
  return html`
    <main class="signin" id="main">
      <div class="card signin-card">
        <h1 id="factor-title">Verify it's you</h1>
        <p>Your account has a second factor: verify it to finish signing in.</p>
        <${FactorForm}
          methods=${pending.mfaMethods}
          onVerified=${(payload) => onSignedIn(payload.user, payload.restriction)}
        />
      </div>
    </main>
  `;
}
