// What a restricted session must finish before the portal opens: a new password in place of
// a temporary one, or a second factor where the user's role requires one.
import { useState } from "preact/hooks";
import { call } from "./api.js";
import { ChangePasswordForm } from "./account.js";
import { Authenticator } from "./factors.js";
import { Passkeys } from "./passkeys.js";
import { ErrorMessage, html } from "./ui.js";

function Restricted({ title, onSignOut, children }) {
  return html`
    <main class="signin" id="main">
      <div class="card signin-card wide-card">
        <h1>${title}</h1>
        ${children}
        <button type="button" class="wide" onClick=${onSignOut}>Sign out</button>
      </div>
    </main>
  `;
}

export function RequiredPasswordChange({ onDone, onSignOut }) {
  return html`
    <${Restricted} title="Choose a new password" onSignOut=${onSignOut}>
      <p>Your password was set by an administrator: choose your own to continue.</p>
      <${ChangePasswordForm} title="Choose a new password" buttonClass="primary wide" onChanged=${onDone} />
    <//>
  `;
}

export function RequiredEnrollment({ onDone, onSignOut }) {
  const [error, setError] = useState(null);
  const proceed = async () => {
    setError(null);
    try {
      const { me } = await call("MyFactors");
      if (me.mfaMethods.length > 0) onDone();
      else setError("Set up an authenticator app or a passkey first.");
    } catch (failure) {
      setError(failure);
    }
  };
  return html`
    <${Restricted} title="Set up a second factor" onSignOut=${onSignOut}>
      <p>Your role requires a second factor: set one up to continue.</p>
      <${Authenticator} />
      <${Passkeys} />
      <${ErrorMessage} error=${error} />
      <button type="button" class="primary wide" onClick=${proceed}>Continue</button>
    <//>
  `;
}
