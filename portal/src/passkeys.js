// My Account's Passkeys: the signed-in user's own, added with this browser's authenticator
// (navigator.credentials.create) and removed one at a time.
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { ErrorMessage, Field, Notice, Time, html } from "./ui.js";
import { cancelled, createPasskey, passkeysSupported } from "./webauthn.js";

export function Passkeys() {
  const [passkeys, setPasskeys] = useState(null);
  const [name, setName] = useState("");
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const load = async () => {
    try {
      const { me } = await call("MyPasskeys");
      setPasskeys(me.passkeys);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const add = async (event) => {
    event.preventDefault();
    setError(null);
    setDone("");
    setBusy(true);
    try {
      const { beginPasskeyRegistration } = await call("BeginPasskeyRegistration");
      const credential = await createPasskey(beginPasskeyRegistration);
      const { finishPasskeyRegistration } = await call("FinishPasskeyRegistration", { name, credential });
      setName("");
      setDone(`Passkey “${finishPasskeyRegistration.name}” added.`);
      await load();
    } catch (failure) {
      if (cancelled(failure)) setDone("No passkey was added.");
      else setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (passkey) => {
    if (!window.confirm(`Remove the passkey “${passkey.name}”? It will no longer sign you in.`)) return;
    setError(null);
    setDone("");
    try {
      await call("RemovePasskey", { id: passkey.id });
      setDone(`Passkey “${passkey.name}” removed.`);
      await load();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`
    <section class="card" aria-labelledby="passkeys-title">
      <h2 id="passkeys-title">Passkeys</h2>
      <p class="hint">
        A passkey signs you in without a password, with this device's screen lock or a
        security key, and serves as a second factor.
      </p>
      ${passkeys && passkeys.length === 0 && html`<p>You have no passkeys yet.</p>`}
      ${passkeys && passkeys.length > 0 && html`
        <table aria-label="Passkeys">
          <thead><tr><th scope="col">Name</th><th scope="col">Added</th><th scope="col">Last Used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${passkeys.map((passkey) => html`
              <tr key=${passkey.id}>
                <td>${passkey.name}</td>
                <td><${Time} value=${passkey.createdAt} /></td>
                <td><${Time} value=${passkey.lastUsedAt} /></td>
                <td><button type="button" onClick=${() => remove(passkey)} aria-label=${`Remove ${passkey.name}`}>Remove</button></td>
              </tr>
            `)}
          </tbody>
        </table>
      `}
      ${passkeysSupported()
        ? html`
          <form class="narrow" onSubmit=${add} aria-label="Add a passkey">
            <${Field} label="Passkey name" hint="To tell your passkeys apart, e.g. Work laptop.">
              <input type="text" required maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
            <//>
            <button type="submit" class="primary" disabled=${busy}>Add Passkey</button>
          </form>
        `
        : html`<p class="hint">This browser cannot use passkeys here (they need https or localhost).</p>`}
      <${ErrorMessage} error=${error} />
      <${Notice} message=${done} />
    </section>
  `;
}
