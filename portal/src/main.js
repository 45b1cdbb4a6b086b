// The Gatehouse portal: Users & API Keys over the public GraphQL API of this same server.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { call, setToken, whenSignedOut, whenStepUpNeeded } from "./api.js";
import { AuditPage } from "./audit.js";
import { KeysPage } from "./keys.js";
import { MyAccount } from "./account.js";
import { StepUpDialog } from "./factors.js";
import { AcceptInvitation, acceptedToken } from "./invitations.js";
import { RequiredEnrollment, RequiredPasswordChange } from "./restricted.js";
import { can as permissionsOf } from "./permissions.js";
import { SignIn } from "./signin.js";
import { UsersPage } from "./users.js";
import { ErrorMessage, html } from "./ui.js";
import { titleCase } from "./format.js";
import "./portal.css";

// Pages live in the fragment (#/keys): it never reaches the server, and carries no secret.
const PAGES = {
  users: { label: "Users", allowed: (can) => can.viewUsers },
  keys: { label: "API Keys", allowed: () => true },
  audit: { label: "Audit Log", allowed: (can) => can.auditLog },
  account: { label: "My Account", allowed: () => true },
};

function currentPage() {
  return location.hash.replace(/^#\/?/, "") || "";
}

function App() {
  const [me, setMe] = useState(null);
  const [message, setMessage] = useState("");
  const [page, setPage] = useState(currentPage());
  const [error, setError] = useState(null);
  // A session that must finish something first (SessionRestriction), and a change waiting
  // for step-up.
  const [restriction, setRestriction] = useState(null);
  const [stepUp, setStepUp] = useState(null);
  useEffect(() => {
    whenSignedOut((text) => {
      setMe(null);
      setStepUp(null);
      setMessage(text);
    });
    whenStepUpNeeded(
      (failure) => new Promise((resolve, reject) => setStepUp({ resolve, reject: () => reject(failure) })),
    );
    const onHash = () => setPage(currentPage());
    window.addEventListener("hashchange", onHash);
    // A link followed between the first render and this effect (an invitation link opened in
    // a portal tab that was still starting) fired its hashchange before anyone listened.
    onHash();
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    const name = PAGES[page]?.label ?? "";
    document.title = me && name ? `${name} — Gatehouse` : "Gatehouse — Users & API Keys";
  }, [page, me]);

  if (!me) {
    const signedIn = (user, restrictedTo) => {
      setMessage("");
      setRestriction(restrictedTo ?? null);
      setMe(user);
    };
    const invitation = acceptedToken();
    if (invitation) return html`<${AcceptInvitation} token=${invitation} onSignedIn=${signedIn} />`;
    return html`<${SignIn} message=${message} onSignedIn=${signedIn} />`;
  }
  const can = permissionsOf(me);
  const visible = Object.entries(PAGES).filter(([, entry]) => entry.allowed(can));
  const shown = visible.some(([name]) => name === page) ? page : can.viewUsers ? "users" : "keys";
  const signOut = async () => {
    try {
      await call("SignOut");
    } catch (failure) {
      setError(failure);
    }
    setToken(null);
    setMe(null);
    setMessage("You have signed out.");
  };
  if (restriction === "PASSWORD_CHANGE_REQUIRED") {
    return html`<${RequiredPasswordChange} onDone=${() => setRestriction(null)} onSignOut=${signOut} />`;
  }
  if (restriction === "MFA_ENROLLMENT_REQUIRED") {
    return html`<${RequiredEnrollment} onDone=${() => setRestriction(null)} onSignOut=${signOut} />`;
  }
  const stepUpDone = (verified) => {
    setStepUp(null);
    if (verified) stepUp.resolve();
    else stepUp.reject();
  };
  return html`
    ${stepUp && html`<${StepUpDialog} onVerified=${() => stepUpDone(true)} onCancel=${() => stepUpDone(false)} />`}
    <button type="button" class="skip-link" onClick=${() => document.getElementById("main")?.focus()}>Skip to content</button>
    <header class="topbar">
      <span class="brand">Gatehouse</span>
      <span class="whoami">
        <span>${me.displayName}</span>
        <span class="chip">${titleCase(can.role ?? "")}</span>
        <button type="button" onClick=${signOut}>Sign out</button>
      </span>
    </header>
    <div class="layout">
      <nav class="sidebar" aria-label="Portal">
        <ul>
          ${visible.map(
            ([name, entry]) => html`
              <li key=${name}>
                <a href=${`#/${name}`} aria-current=${name === shown ? "page" : undefined}>${entry.label}</a>
              </li>
            `,
          )}
        </ul>
      </nav>
      <main id="main" tabindex="-1">
        <${ErrorMessage} error=${error} />
        ${shown === "users" && html`<${UsersPage} me=${me} can=${can} />`}
        ${shown === "keys" && html`<${KeysPage} me=${me} can=${can} />`}
        ${shown === "audit" && html`<${AuditPage} />`}
        ${shown === "account" && html`<${MyAccount} me=${me} />`}
      </main>
    </div>
  `;
}

render(html`<${App} />`, document.getElementById("app"));
