import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { titleCase } from "./format.js";
import { InviteUserDialog, PendingInvitations } from "./invitations.js";
import {
  Checkboxes,
  Dialog,
  ErrorMessage,
  Field,
  Notice,
  Pager,
  StatusBadge,
  Time,
  html,
  useDebounced,
  usePager,
} from "./ui.js";

const ROLES = [
  ["SUPER_ADMIN", "Super Admin"],
  ["ADMIN", "Admin"],
  ["READ_ONLY", "Read Only"],
];
const SORTS = [
  ["", "Oldest first"],
  ["EMAIL:ASC", "Email (A–Z)"],
  ["DISPLAY_NAME:ASC", "Display name (A–Z)"],
  ["LAST_LOGIN_AT:DESC", "Last login (newest)"],
  ["CREATED_AT:DESC", "Newest first"],
];
const PAGE_SIZE = 20;

function orderBy(sort) {
  if (!sort) return null;
  const [field, direction] = sort.split(":");
  return { field, direction };
}

export function UsersPage({ me, can }) {
  const [search, setSearch] = useState("");
  const searched = useDebounced(search);
  const [sort, setSort] = useState("");
  const pager = usePager();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [dialog, setDialog] = useState(null);
  const [notice, setNotice] = useState("");

  const load = async () => {
    try {
      const { users } = await call("Users", {
        first: PAGE_SIZE,
        after: pager.after,
        search: searched.trim() || null,
        orderBy: orderBy(sort),
      });
      setData(users);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    load();
  }, [pager.after, searched, sort]);

  const finished = (message) => {
    setDialog(null);
    setNotice(message);
    load();
  };
  const rowActions = (user) => [
    can.editUser(user) && html`<button type="button" onClick=${() => setDialog({ kind: "edit", user })} aria-label=${`Edit ${user.email}`}>Edit</button>`,
    can.resetPassword(user) && html`<button type="button" onClick=${() => setDialog({ kind: "reset", user })} aria-label=${`Reset Password of ${user.email}`}>Reset Password</button>`,
    can.deleteUser(user) && html`<button type="button" class="danger-text" onClick=${() => setDialog({ kind: "delete", user })} aria-label=${`Delete ${user.email}`}>Delete</button>`,
  ].filter(Boolean);

  return html`
    <section aria-labelledby="page-title">
      <div class="page-header">
        <h1 id="page-title">Users</h1>
        ${can.createUser && html`
          <span class="header-actions">
            <button type="button" onClick=${() => setDialog({ kind: "invite" })}>Invite User</button>
            <button type="button" class="primary" onClick=${() => setDialog({ kind: "create" })}>Create User</button>
          </span>
        `}
      </div>
      <div class="toolbar" role="search">
        <${Field} label="Search users">
          <input type="search" placeholder="Email or name" value=${search} onInput=${(e) => { setSearch(e.currentTarget.value); pager.reset(); }} />
        <//>
        <${Field} label="Sort by">
          <select value=${sort} onChange=${(e) => { setSort(e.currentTarget.value); pager.reset(); }}>
            ${SORTS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        <//>
      </div>
      <${Notice} message=${notice} />
      <${ErrorMessage} error=${error} />
      ${data &&
      html`
        <div class="card table-card">
          <table class="responsive">
            <caption class="visually-hidden">Users</caption>
            <thead>
              <tr><th scope="col">Email</th><th scope="col">Display Name</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col">Last Login</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              ${data.nodes.map((user) => {
                const actions = rowActions(user);
                return html`
                  <tr key=${user.id}>
                    <td data-label="Email" class="strong">${user.email}</td>
                    <td data-label="Display Name">${user.displayName}</td>
                    <td data-label="Roles">${user.roles.map((role) => html`<span class="chip">${titleCase(role)}</span>`)}</td>
                    <td data-label="Status"><${StatusBadge} status=${user.status} /></td>
                    <td data-label="Last Login"><${Time} value=${user.lastLoginAt} relative=${true} /></td>
                    <td data-label="Actions" class="row-actions">${actions.length ? actions : html`<span class="muted">None</span>`}</td>
                  </tr>
                `;
              })}
              ${data.nodes.length === 0 && html`<tr><td colspan="6" class="muted">No users match.</td></tr>`}
            </tbody>
          </table>
        </div>
        <${Pager} pager=${pager} pageInfo=${data.pageInfo} total=${data.totalCount} noun="users" />
      `}
      ${can.createUser && html`<${PendingInvitations} version=${notice} />`}
      ${dialog?.kind === "invite" && html`<${InviteUserDialog} can=${can} onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "create" && html`<${CreateUserDialog} can=${can} onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "edit" && html`<${EditUserDialog} can=${can} user=${dialog.user} onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "reset" && html`<${ResetPasswordDialog} user=${dialog.user} onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "delete" && html`<${DeleteUserDialog} user=${dialog.user} onClose=${() => setDialog(null)} onDone=${finished} />`}
    </section>
  `;
}

function useSubmit(action) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, submit };
}

function CreateUserDialog({ can, onClose, onDone }) {
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [roles, setRoles] = useState(["READ_ONLY"]);
  const { error, busy, submit } = useSubmit(async () => {
    const { createUser } = await call("CreateUser", { input: { email, displayName, password, roles } });
    onDone(`User ${createUser.email} created.`);
  });
  return html`
    <${Dialog} title="Create User" onClose=${onClose}>
      <form onSubmit=${submit}>
        <${Field} label="Email"><input type="email" required autocomplete="off" value=${email} onInput=${(e) => setEmail(e.currentTarget.value)} /><//>
        <${Field} label="Display Name"><input type="text" required value=${displayName} onInput=${(e) => setDisplayName(e.currentTarget.value)} /><//>
        <${Field} label="Password" hint="At least 12 characters, not a common password, not containing the email's name."><input type="password" required minlength="12" autocomplete="new-password" value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} /><//>
        <${Checkboxes} legend="Roles" options=${ROLES} selected=${roles} onChange=${setRoles} disabled=${(role) => role === "SUPER_ADMIN" && !can.grantSuperAdmin} />
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Create User</button>
        </div>
      </form>
    <//>
  `;
}

function EditUserDialog({ can, user, onClose, onDone }) {
  const [displayName, setDisplayName] = useState(user.displayName);
  const [roles, setRoles] = useState(user.roles);
  const [status, setStatus] = useState(user.status);
  const { error, busy, submit } = useSubmit(async () => {
    await call("UpdateUser", { id: user.id, input: { displayName, roles, status } });
    onDone(`User ${user.email} saved.`);
  });
  return html`
    <${Dialog} title=${`Edit ${user.email}`} onClose=${onClose}>
      <form onSubmit=${submit}>
        <${Field} label="Display Name"><input type="text" required value=${displayName} onInput=${(e) => setDisplayName(e.currentTarget.value)} /><//>
        <${Checkboxes} legend="Roles" options=${ROLES} selected=${roles} onChange=${setRoles} disabled=${(role) => role === "SUPER_ADMIN" && !can.grantSuperAdmin} />
        <${Field} label="Status" hint="An inactive user is signed out and their keys stop working.">
          <select value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
            <option value="ACTIVE">Active</option>
            <option value="INACTIVE">Inactive</option>
          </select>
        <//>
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Save</button>
        </div>
      </form>
    <//>
  `;
}

function ResetPasswordDialog({ user, onClose, onDone }) {
  const [password, setPassword] = useState("");
  const { error, busy, submit } = useSubmit(async () => {
    await call("ResetPassword", { userId: user.id, newPassword: password });
    onDone(`Password of ${user.email} reset; their sessions have ended.`);
  });
  return html`
    <${Dialog} title=${`Reset Password of ${user.email}`} onClose=${onClose}>
      <form onSubmit=${submit}>
        <p>The user is signed out everywhere and signs in with the new password.</p>
        <${Field} label="New password" hint="At least 12 characters, not a common password, not containing the email's name."><input type="password" required minlength="12" autocomplete="new-password" value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} /><//>
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Reset Password</button>
        </div>
      </form>
    <//>
  `;
}

function DeleteUserDialog({ user, onClose, onDone }) {
  const { error, busy, submit } = useSubmit(async () => {
    await call("DeleteUser", { id: user.id });
    onDone(`User ${user.email} deleted.`);
  });
  return html`
    <${Dialog} title="Delete user?" onClose=${onClose}>
      <p>Delete <strong>${user.email}</strong>? Their sessions end and their API keys are revoked. This cannot be undone.</p>
      <${ErrorMessage} error=${error} />
      <div class="actions">
        <button type="button" onClick=${onClose} data-autofocus>Cancel</button>
        <button type="button" class="danger" disabled=${busy} onClick=${submit}>Delete</button>
      </div>
    <//>
  `;
}
