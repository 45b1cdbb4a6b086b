// Second factors in the portal: verifying one (after a password, or for step-up), the
// authenticator app on My Account, and the set-up a restricted session must finish first.
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { Dialog, ErrorMessage, Field, Notice, html } from "./ui.js";
import { cancelled, getPasskey, passkeysSupported } from "./webauthn.js";

// verifyMfa with a code or this browser's passkey; `onVerified` gets its LoginPayload.
export function FactorForm({ methods, onVerified, onCancel, submitLabel = "Verify" }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const verify = async (variables) => {
    setBusy(true);
    setError(null);
    try {
      const { verifyMfa } = await call("VerifyMfa", variables);
      onVerified(verifyMfa);
    } catch (failure) {
      if (!cancelled(failure)) setError(failure);
      setBusy(false);
    }
  };
  const withCode = (event) => {
    event.preventDefault();
    const typed = code.trim();
    setCode("");
    // Recovery codes are written in groups (k3vq-7xwa-…); authenticator codes are digits.
    verify(typed.includes("-") ? { recoveryCode: typed } : { totpCode: typed });
  };
  const withPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      const { beginPasskeyLogin } = await call("BeginPasskeyLogin", {});
      const passkey = await getPasskey(beginPasskeyLogin);
      await verify({ passkey });
    } catch (failure) {
      if (!cancelled(failure)) setError(failure);
      setBusy(false);
    }
  };
  return html`
    <form onSubmit=${withCode} aria-label="Verify a second factor">
      ${methods.includes("PASSKEY") && passkeysSupported() && html`
        <button type="button" class="primary wide" disabled=${busy} onClick=${withPasskey}>Use your passkey</button>
      `}
      ${(methods.includes("TOTP") || methods.includes("RECOVERY_CODE")) && html`
        <${Field} label="Authentication code" hint="From your authenticator app, or a recovery code.">
          <input type="text" autocomplete="one-time-code" required value=${code} onInput=${(e) => setCode(e.currentTarget.value)} />
        <//>
        <button type="submit" class="wide" disabled=${busy}>${submitLabel}</button>
      `}
      ${onCancel && html`<button type="button" class="wide" onClick=${onCancel}>Cancel</button>`}
      <${ErrorMessage} error=${error} />
    </form>
  `;
}

// Step-up: a change that needs a factor verified moments ago waits for this dialog.
export function StepUpDialog({ onVerified, onCancel }) {
  const [methods, setMethods] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    call("MyFactors").then(({ me }) => setMethods(me.mfaMethods), setError);
  }, []);
  return html`
    <${Dialog} title="Verify it's you" onClose=${onCancel}>
      <p>This change needs your second factor, verified in the last few minutes.</p>
      ${methods && html`<${FactorForm} methods=${methods} onVerified=${onVerified} onCancel=${onCancel} />`}
      <${ErrorMessage} error=${error} />
    <//>
  `;
}

function RecoveryCodes({ codes }) {
  return html`
    <div class="notice" role="status">
      <p>
        Your recovery codes, shown this once: keep them somewhere safe. Each signs you in
        once when your authenticator is not at hand.
      </p>
      <ul class="codes" aria-label="Recovery codes">${codes.map((code) => html`<li key=${code}><code>${code}</code></li>`)}</ul>
    </div>
  `;
}

// My Account's authenticator app (TOTP): enrol with a QR code, confirm with a first code,
// then regenerate recovery codes or turn it off.
export function Authenticator({ onChanged = () => {} }) {
  const [methods, setMethods] = useState(null);
  const [enrollment, setEnrollment] = useState(null);
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const load = async () => {
    try {
      const { me } = await call("MyFactors");
      setMethods(me.mfaMethods);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    load();
  }, []);
  const act = async (action) => {
    setError(null);
    setDone("");
    try {
      await action();
      await load();
      onChanged();
    } catch (failure) {
      setError(failure);
    }
  };
  const begin = () =>
    act(async () => {
      setCodes(null);
      const { beginTotpEnrollment } = await call("BeginTotpEnrollment");
      setEnrollment(beginTotpEnrollment);
    });
  const confirm = (event) => {
    event.preventDefault();
    act(async () => {
      const { confirmTotpEnrollment } = await call("ConfirmTotpEnrollment", { code: code.trim() });
      setCode("");
      setEnrollment(null);
      setCodes(confirmTotpEnrollment);
      setDone("Authenticator app turned on.");
    });
  };
  const regenerate = () =>
    act(async () => {
      const { regenerateRecoveryCodes } = await call("RegenerateRecoveryCodes");
      setCodes(regenerateRecoveryCodes);
      setDone("New recovery codes made; the old ones no longer work.");
    });
  const disable = () => {
    if (!window.confirm("Turn off the authenticator app? Its codes and your recovery codes stop working.")) return;
    act(async () => {
      await call("DisableTotp");
      setCodes(null);
      setDone("Authenticator app turned off.");
    });
  };
  const enabled = methods?.includes("TOTP");
  return html`
    <section class="card" aria-labelledby="totp-title">
      <h2 id="totp-title">Authenticator App</h2>
      <p class="hint">
        A code from an app such as 1Password, Google Authenticator or Aegis, asked after your
        password and before sensitive changes.
      </p>
      ${methods && !enabled && !enrollment && html`
        <p>Not set up.</p>
        <button type="button" class="primary" onClick=${begin}>Set Up Authenticator App</button>
      `}
      ${enrollment && html`
        <div class="enrollment">
          <div class="qr" role="img" aria-label="QR code for your authenticator app" dangerouslySetInnerHTML=${{ __html: enrollment.qrSvg }}></div>
          <p>Scan the code, or enter this key in the app: <code class="secret">${enrollment.secret}</code></p>
          <form class="narrow" onSubmit=${confirm} aria-label="Confirm the authenticator app">
            <${Field} label="Code from the app" hint="Six digits.">
              <input type="text" inputmode="numeric" autocomplete="one-time-code" required pattern="[0-9]{6}" value=${code} onInput=${(e) => setCode(e.currentTarget.value)} />
            <//>
            <button type="submit" class="primary">Turn On</button>
          </form>
        </div>
      `}
      ${enabled && html`
        <p>On. ${methods.includes("RECOVERY_CODE") ? "You have unused recovery codes." : "You have no unused recovery codes left."}</p>
        <div class="actions">
          <button type="button" onClick=${regenerate}>New Recovery Codes</button>
          <button type="button" class="danger" onClick=${disable}>Turn Off</button>
        </div>
      `}
      ${codes && html`<${RecoveryCodes} codes=${codes} />`}
      <${ErrorMessage} error=${error} />
      <${Notice} message=${done} />
    </section>
  `;
}
