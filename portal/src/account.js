import { useState } from "preact/hooks";
import { call } from "./api.js";
import { ErrorMessage, Field, Notice, Time, html } from "./ui.js";
import { titleCase } from "./format.js";
import { Authenticator } from "./factors.js";
import { Passkeys } from "./passkeys.js";
import { Sessions } from "./sessions.js";

// Changing one's own password: on My Account, and where a temporary password must go.
export function ChangePasswordForm({ title, onChanged, className = "", buttonClass = "primary", children }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const submit = async (event) => {
    event.preventDefault();
    setError(null);
    setDone("");
    try {
      await call("ChangePassword", { currentPassword: current, newPassword: next });
      setCurrent("");
      setNext("");
      setDone(onChanged() ?? "");
    } catch (failure) {
      setError(failure);
    }
  };
  return html`
    <form class=${className} onSubmit=${submit} aria-label=${title}>
      ${children}
      <${Field} label="Current password">
        <input type="password" autocomplete="current-password" required value=${current} onInput=${(e) => setCurrent(e.currentTarget.value)} />
      <//>
      <${Field} label="New password" hint="At least 12 characters, not a common password, not containing your email's name.">
        <input type="password" autocomplete="new-password" required minlength="12" value=${next} onInput=${(e) => setNext(e.currentTarget.value)} />
      <//>
      <${ErrorMessage} error=${error} />
      <${Notice} message=${done} />
      <button type="submit" class=${buttonClass}>Change Password</button>
    </form>
  `;
}

export function MyAccount({ me }) {
  return html`
    <section aria-labelledby="page-title">
      <div class="page-header"><h1 id="page-title">My Account</h1></div>
      <div class="card">
        <dl class="details">
          <dt>Email</dt><dd>${me.email}</dd>
          <dt>Display Name</dt><dd>${me.displayName}</dd>
          <dt>Roles</dt><dd>${me.roles.map(titleCase).join(", ")}</dd>
          <dt>Last Login</dt><dd><${Time} value=${me.lastLoginAt} /></dd>
        </dl>
      </div>
      <${ChangePasswordForm}
        title="Change Password"
        className="card narrow"
        onChanged=${() => "Password changed. Your other sessions have been signed out."}
      >
        <h2>Change Password</h2>
      <//>
      <${Authenticator} />
      <${Passkeys} />
      <${Sessions} />
    </section>
  `;
}
