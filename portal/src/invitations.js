// Invitations: a super-admin invites by email instead of choosing a password; the invitee
// opens the link (its token in the fragment, never sent to a server by the browser) and
// chooses their own password.
import { useEffect, useState } from "preact/hooks";
import { call, setToken } from "./api.js";
import { titleCase } from "./format.js";
import { Checkboxes, Dialog, ErrorMessage, Field, Notice, StatusBadge, Time, html } from "./ui.js";

const ROLES = [
  ["SUPER_ADMIN", "Super Admin"],
  ["ADMIN", "Admin"],
  ["READ_ONLY", "Read Only"],
];

export function invitationLink(token) {
  return `${location.origin}/portal/#/accept/${encodeURIComponent(token)}`;
}

export function acceptedToken() {
  const match = location.hash.match(/^#\/accept\/(.+)$/);
  return match ? decodeURIComponent(match[1]) : null;
}

function ShownOnce({ payload }) {
  return html`
    <p>
      Send this link to <strong>${payload.invitation.email}</strong>: it is shown once, and works
      until <${Time} value=${payload.invitation.expiresAt} />.
    </p>
    <${Field} label="Invitation link">
      <input type="text" readonly value=${invitationLink(payload.token)} onFocus=${(e) => e.currentTarget.select()} />
    <//>
  `;
}

export function InviteUserDialog({ can, onClose, onDone }) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [roles, setRoles] = useState(["READ_ONLY"]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(null);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { inviteUser } = await call("InviteUser", { input: { email, displayName, roles } });
      setSent(inviteUser);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  if (sent) {
    return html`
      <${Dialog} title="Invitation created" onClose=${() => onDone(`${sent.invitation.email} invited.`)}>
        <${ShownOnce} payload=${sent} />
        <div class="actions">
          <button type="button" class="primary" onClick=${() => onDone(`${sent.invitation.email} invited.`)}>Done</button>
        </div>
      <//>
    `;
  }
  return html`
    <${Dialog} title="Invite User" onClose=${onClose}>
      <form onSubmit=${submit}>
        <${Field} label="Email"><input type="email" required autocomplete="off" value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} /><//>
        <${Field} label="Display Name"><input type="text" required value=${displayName} onInput=${(e) => setDisplayName(e.currentTarget.value)} /><//>
        <${Checkboxes} legend="Roles" options=${ROLES} selected=${roles} onChange=${setRoles} disabled=${(role) => role === "SUPER_ADMIN" && !can.grantSuperAdmin} />
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Invite User</button>
        </div>
      </form>
    <//>
  `;
}

// The pending invitations, each resent (a new link; the old one stops working) or revoked.
export function PendingInvitations({ version }) {
  const [invitations, setInvitations] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const [resent, setResent] = useState(null);
  const load = async () => {
    try {
      const { invitations } = await call("Invitations", { status: "PENDING" });
      setInvitations(invitations.nodes);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    load();
  }, [version]);
  const act = async (action) => {
    setError(null);
    setDone("");
    try {
      await action();
      await load();
    } catch (failure) {
      setError(failure);
    }
  };
  const resend = (invitation) =>
    act(async () => {
      const { resendInvitation } = await call("ResendInvitation", { id: invitation.id });
      setResent(resendInvitation);
    });
  const revoke = (invitation) => {
    if (!window.confirm(`Revoke the invitation of ${invitation.email}? Its link stops working.`)) return;
    act(async () => {
      await call("RevokeInvitation", { id: invitation.id });
      setDone(`Invitation of ${invitation.email} revoked.`);
    });
  };
  if (!invitations || invitations.length === 0) return html`<${ErrorMessage} error=${error} />`;
  return html`
    <section class="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Pending Invitations</h2>
      <table aria-label="Pending invitations">
        <thead>
          <tr>
            <th scope="col">Email</th><th scope="col">Display Name</th><th scope="col">Roles</th>
            <th scope="col">Invited By</th><th scope="col">Expires</th><th scope="col">Status</th>
            <th scope="col"><span class="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          ${invitations.map((invitation) => html`
            <tr key=${invitation.id}>
              <td>${invitation.email}</td>
              <td>${invitation.displayName}</td>
              <td>${invitation.roles.map(titleCase).join(", ")}</td>
              <td>${invitation.invitedBy?.email ?? "—"}</td>
              <td><${Time} value=${invitation.expiresAt} /></td>
              <td><${StatusBadge} status=${invitation.status} /></td>
              <td>
                <button type="button" onClick=${() => resend(invitation)} aria-label=${`Resend to ${invitation.email}`}>Resend</button>
                <button type="button" class="danger-text" onClick=${() => revoke(invitation)} aria-label=${`Revoke the invitation of ${invitation.email}`}>Revoke</button>
              </td>
            </tr>
          `)}
        </tbody>
      </table>
      <${ErrorMessage} error=${error} />
      <${Notice} message=${done} />
      ${resent && html`
        <${Dialog} title="Invitation resent" onClose=${() => setResent(null)}>
          <${ShownOnce} payload=${resent} />
          <div class="actions"><button type="button" class="primary" onClick=${() => setResent(null)}>Done</button></div>
        <//>
      `}
    </section>
  `;
}

export function AcceptInvitation({ token, onSignedIn }) {
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { acceptInvitation } = await call("AcceptInvitation", {
        token,
        password,
        displayName: displayName.trim() || null,
      });
      setToken(acceptInvitation.token);
      // The link is used up: don't leave it in the address bar or the history entry.
      history.replaceState(null, "", `${location.pathname}#/`);
      onSignedIn(acceptInvitation.user, acceptInvitation.restriction);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return html`
    <main class="signin" id="main">
      <form class="card signin-card" onSubmit=${submit} aria-labelledby="accept-title">
        <h1 id="accept-title">Accept your invitation</h1>
        <p>Choose your password to join Gatehouse.</p>
        <${Field} label="Password" hint="At least 12 characters, not a common password, not containing your email's name.">
          <input type="password" autocomplete="new-password" required minlength="12" value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} />
        <//>
        <${Field} label="Display Name" hint="Optional: the name your administrator chose is kept otherwise.">
          <input type="text" value=${displayName} onInput=${(e) => setDisplayName(e.currentTarget.value)} />
        <//>
        <${ErrorMessage} error=${error} />
        <button type="submit" class="primary wide" disabled=${busy}>Accept Invitation</button>
      </form>
    </main>
  `;
}
