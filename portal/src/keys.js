import { useEffect, useRef, useState } from "preact/hooks";
import { call } from "./api.js";
import { formatDate, formatDay, formatNumber, titleCase } from "./format.js";
import {
  ActionsMenu,
  Checkboxes,
  Dialog,
  ErrorMessage,
  Field,
  Notice,
  Pager,
  Secret,
  StatusBadge,
  Time,
  html,
  useDebounced,
  usePager,
} from "./ui.js";

const SCOPES = [
  ["READ", "Read"],
  ["WRITE", "Write"],
  ["ADMIN", "Admin"],
];
const EXPIRATIONS = [
  ["", "Never"],
  ["7", "7 days"],
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
];
const SORTS = [
  ["", "Newest first"],
  ["NAME:ASC", "Name (A–Z)"],
  ["LAST_USED_AT:DESC", "Last used"],
  ["EXPIRES_AT:ASC", "Expiring soonest"],
  ["TOTAL_CALLS:DESC", "Most calls"],
];
const STATUSES = [
  ["", "Any status"],
  ["ACTIVE", "Active"],
  ["DISABLED", "Disabled"],
  ["EXPIRED", "Expired"],
  ["REVOKED", "Revoked"],
];
const PAGE_SIZE = 20;
const USAGE_DAYS = 30;
// The cards and an open key refresh this often while the page is visible (polling: the
// portal does not use the API's subscriptions yet).
export const POLL_MILLISECONDS = 10_000;

function usePoll(refresh, dependencies) {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    const tick = () => {
      if (document.visibilityState === "visible") latest.current();
    };
    const timer = setInterval(tick, POLL_MILLISECONDS);
    document.addEventListener("visibilitychange", tick);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", tick);
    };
  }, dependencies);
}

function orderBy(sort) {
  if (!sort) return null;
  const [field, direction] = sort.split(":");
  return { field, direction };
}

export function KeysPage({ me, can }) {
  const [metrics, setMetrics] = useState(null);
  const [search, setSearch] = useState("");
  const searched = useDebounced(search);
  const [status, setStatus] = useState("");
  const [sort, setSort] = useState("");
  const pager = usePager();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [dialog, setDialog] = useState(null);
  const [notice, setNotice] = useState("");

  const loadMetrics = async () => {
    try {
      setMetrics((await call("KeyMetrics")).keyMetrics);
    } catch (failure) {
      setError(failure);
    }
  };
  const loadKeys = async () => {
    try {
      const { apiKeys } = await call("ApiKeys", {
        first: PAGE_SIZE,
        after: pager.after,
        search: searched.trim() || null,
        status: status || null,
        orderBy: orderBy(sort),
        withOwner: can.seeKeyOwners,
      });
      setData(apiKeys);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    loadMetrics();
  }, []);
  useEffect(() => {
    loadKeys();
  }, [pager.after, searched, status, sort]);
  usePoll(loadMetrics, []);

  const finished = (message) => {
    setDialog(null);
    if (message) setNotice(message);
    loadKeys();
    loadMetrics();
  };
  const enable = async (key) => {
    setError(null);
    try {
      await call("EnableKey", { id: key.id });
      finished(`Key ${key.name} enabled.`);
    } catch (failure) {
      setError(failure);
    }
  };
  const menuItems = (key) =>
    [
      { label: "View Details", onSelect: () => setDialog({ kind: "details", key }) },
      can.editKey(key) && { label: "Edit", onSelect: () => setDialog({ kind: "edit", key }) },
      can.rollKey(key) && { label: "Roll Key", onSelect: () => setDialog({ kind: "roll", key }) },
      can.enableKey(key) && { label: "Enable", onSelect: () => enable(key) },
      can.disableKey(key) && { label: "Disable", onSelect: () => setDialog({ kind: "disable", key }) },
      can.revokeKey(key) && { label: "Revoke", danger: true, onSelect: () => setDialog({ kind: "revoke", key }) },
      can.deleteKey(key) && { label: "Delete", danger: true, onSelect: () => setDialog({ kind: "delete", key }) },
    ].filter(Boolean);

  return html`
    <section aria-labelledby="page-title">
      <div class="page-header">
        <h1 id="page-title">API Keys</h1>
        ${can.createKey && html`<button type="button" class="primary" onClick=${() => setDialog({ kind: "create" })}>Create API Key</button>`}
      </div>
      <${MetricCards} metrics=${metrics} />
      <div class="toolbar" role="search">
        <${Field} label="Search keys">
          <input type="search" placeholder="Key name" value=${search} onInput=${(e) => { setSearch(e.currentTarget.value); pager.reset(); }} />
        <//>
        <${Field} label="Status">
          <select value=${status} onChange=${(e) => { setStatus(e.currentTarget.value); pager.reset(); }}>
            ${STATUSES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
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
            <caption class="visually-hidden">API keys</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Last Used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              ${data.nodes.map(
                (key) => html`
                  <tr key=${key.id}>
                    <td data-label="Name">
                      <button type="button" class="link strong" onClick=${() => setDialog({ kind: "details", key })}>${key.name}</button>
                      ${key.description && html`<div class="muted small">${key.description}</div>`}
                    </td>
                    <td data-label="Key"><code>${key.maskedKey}</code></td>
                    <td data-label="Scopes">${key.scopes.map((scope) => html`<span class="chip">${titleCase(scope)}</span>`)}</td>
                    <td data-label="Last Used"><${Time} value=${key.lastUsedAt} relative=${true} /></td>
                    <td data-label="Expires">${key.expiresAt ? html`<time datetime=${key.expiresAt}>${formatDate(key.expiresAt)}</time>` : "Never"}</td>
                    <td data-label="Status"><${StatusBadge} status=${key.status} /></td>
                    <td data-label="Actions" class="row-actions"><${ActionsMenu} label=${`Actions for ${key.name}`} items=${menuItems(key)} /></td>
                  </tr>
                `,
              )}
              ${data.nodes.length === 0 && html`<tr><td colspan="7" class="muted">No keys match.</td></tr>`}
            </tbody>
          </table>
        </div>
        <${Pager} pager=${pager} pageInfo=${data.pageInfo} total=${data.totalCount} noun="keys" />
      `}
      ${dialog?.kind === "create" && html`<${CreateKeyDialog} onCreated=${() => { loadKeys(); loadMetrics(); }} onClose=${() => finished("")} />`}
      ${dialog?.kind === "details" && html`<${KeyDetailsDialog} id=${dialog.key.id} can=${can} onClose=${() => setDialog(null)} />`}
      ${dialog?.kind === "edit" && html`<${EditKeyDialog} apiKey=${dialog.key} onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "roll" && html`<${RollKeyDialog} apiKey=${dialog.key} onClose=${() => finished("")} />`}
      ${dialog?.kind === "revoke" && html`<${ConfirmKeyDialog} apiKey=${dialog.key} action="Revoke" onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "disable" && html`<${ConfirmKeyDialog} apiKey=${dialog.key} action="Disable" onClose=${() => setDialog(null)} onDone=${finished} />`}
      ${dialog?.kind === "delete" && html`<${ConfirmKeyDialog} apiKey=${dialog.key} action="Delete" onClose=${() => setDialog(null)} onDone=${finished} />`}
    </section>
  `;
}

function MetricCards({ metrics }) {
  const cards = [
    ["Total Keys", metrics?.totalKeys],
    ["Active Keys", metrics?.activeKeys],
    ["Expired Keys", metrics?.expiredKeys],
    ["API Calls Today", metrics?.apiCallsToday],
  ];
  return html`
    <ul class="metrics" aria-label="Key metrics" aria-live="polite">
      ${cards.map(
        ([label, value]) => html`
          <li class="card metric" key=${label}>
            <span class="metric-label">${label}</span>
            <span class="metric-value" data-metric=${label}>${value == null ? "…" : formatNumber(value)}</span>
          </li>
        `,
      )}
    </ul>
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

function CreateKeyDialog({ onCreated, onClose }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [scopes, setScopes] = useState(["READ"]);
  const [expiration, setExpiration] = useState("90");
  const [created, setCreated] = useState(null);
  const { error, busy, submit } = useSubmit(async () => {
    const days = Number(expiration);
    const expiresAt = days ? new Date(Date.now() + days * 86_400_000).toISOString() : null;
    const { createApiKey } = await call("CreateApiKey", {
      input: { name, description: description.trim() || null, scopes, expiresAt },
    });
    setCreated(createApiKey);
    onCreated();
  });
  if (created) {
    return html`
      <${Dialog} title="API Key Created" onClose=${onClose}>
        <p>The key <strong>${created.apiKey.name}</strong> is ready.</p>
        <${Secret} secret=${created.secret} what="API key" onDone=${onClose} />
      <//>
    `;
  }
  return html`
    <${Dialog} title="Create API Key" onClose=${onClose}>
      <form onSubmit=${submit}>
        <${Field} label="Name"><input type="text" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /><//>
        <${Field} label="Description"><textarea rows="2" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)}></textarea><//>
        <${Checkboxes} legend="Scopes" options=${SCOPES} selected=${scopes} onChange=${setScopes} />
        <${Field} label="Expiration">
          <select value=${expiration} onChange=${(e) => setExpiration(e.currentTarget.value)}>
            ${EXPIRATIONS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        <//>
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Create API Key</button>
        </div>
      </form>
    <//>
  `;
}

function KeyDetailsDialog({ id, can, onClose }) {
  const [key, setKey] = useState(null);
  const [error, setError] = useState(null);
  const load = async () => {
    try {
      const { apiKey } = await call("ApiKey", { id, days: USAGE_DAYS, withOwner: can.seeKeyOwners });
      setKey(apiKey);
      setError(apiKey ? null : "This key no longer exists.");
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => {
    load();
  }, [id]);
  usePoll(load, [id]);
  return html`
    <${Dialog} title=${key ? key.name : "API Key"} onClose=${onClose} wide=${true}>
      <${ErrorMessage} error=${error} />
      ${key &&
      html`
        ${key.description && html`<p>${key.description}</p>`}
        <h3>Configuration</h3>
        <dl class="details">
          <dt>Key</dt><dd><code>${key.maskedKey}</code></dd>
          <dt>Status</dt><dd><${StatusBadge} status=${key.status} /></dd>
          <dt>Created</dt><dd><${Time} value=${key.createdAt} /></dd>
          ${key.createdBy && html`<dt>Created by</dt><dd>${key.createdBy.displayName} (${key.createdBy.email})</dd>`}
          <dt>Expires</dt><dd><${Time} value=${key.expiresAt} /></dd>
          <dt>Last Used</dt><dd><${Time} value=${key.lastUsedAt} relative=${true} />${key.lastUsedIp && ` from ${key.lastUsedIp}`}</dd>
          <dt>Total calls</dt><dd data-field="totalCalls">${formatNumber(key.totalCalls)}</dd>
          <dt>Rate limit</dt><dd>${key.rateLimitPerMinute ? `${formatNumber(key.rateLimitPerMinute)} a minute` : "None"}</dd>
          <dt>Allowed networks</dt><dd>${key.allowedCidrs?.length ? key.allowedCidrs.join(", ") : "Any"}</dd>
          ${key.rolledAt && html`<dt>Rolled</dt><dd><${Time} value=${key.rolledAt} /></dd>`}
          ${key.revokedAt && html`<dt>Revoked</dt><dd><${Time} value=${key.revokedAt} /></dd>`}
        </dl>
        <h3>Scopes</h3>
        <p>${key.scopes.map((scope) => html`<span class="chip">${titleCase(scope)}</span>`)}</p>
        <h3>Usage history</h3>
        <${UsageChart} usage=${key.usage} />
      `}
      <div class="actions"><button type="button" onClick=${onClose}>Close</button></div>
    <//>
  `;
}

// An inline SVG bar chart (no library, nothing loaded): one bar per UTC day; its text
// alternative states the totals, and each bar has a title for pointer users.
function UsageChart({ usage }) {
  const width = 600;
  const height = 160;
  const bottom = 20;
  const most = Math.max(1, ...usage.map((day) => day.calls));
  const total = usage.reduce((sum, day) => sum + day.calls, 0);
  const step = width / usage.length;
  const summary = `${formatNumber(total)} calls in the last ${usage.length} days; at most ${formatNumber(
    Math.max(0, ...usage.map((day) => day.calls)),
  )} in a day.`;
  return html`
    <figure class="chart">
      <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${summary}>
        <line x1="0" y1=${height - bottom} x2=${width} y2=${height - bottom} class="chart-axis" />
        ${usage.map((day, index) => {
          const barHeight = ((height - bottom - 10) * day.calls) / most;
          return html`
            <rect
              key=${day.date}
              class="chart-bar"
              x=${index * step + step * 0.15}
              y=${height - bottom - barHeight}
              width=${step * 0.7}
              height=${Math.max(barHeight, day.calls ? 1 : 0)}
            ><title>${formatDay(day.date)}: ${formatNumber(day.calls)} calls</title></rect>
          `;
        })}
        <text x="0" y=${height - 4} class="chart-label">${usage.length ? formatDay(usage[0].date) : ""}</text>
        <text x=${width} y=${height - 4} class="chart-label" text-anchor="end">${usage.length ? formatDay(usage[usage.length - 1].date) : ""}</text>
      </svg>
      <figcaption data-field="usageSummary">${summary}</figcaption>
    </figure>
  `;
}

function EditKeyDialog({ apiKey, onClose, onDone }) {
  const [name, setName] = useState(apiKey.name);
  const [description, setDescription] = useState(apiKey.description ?? "");
  const [rateLimit, setRateLimit] = useState(apiKey.rateLimitPerMinute?.toString() ?? "");
  const [networks, setNetworks] = useState((apiKey.allowedCidrs ?? []).join("\n"));
  const { error, busy, submit } = useSubmit(async () => {
    const input = { name, description: description.trim() || null };
    // Limits are sent only when changed: an unchanged form never touches them.
    const limit = rateLimit.trim() ? Number(rateLimit) : null;
    if (limit !== (apiKey.rateLimitPerMinute ?? null)) input.rateLimitPerMinute = limit;
    const cidrs = networks.split(/[\s,]+/).filter(Boolean);
    if (cidrs.join(",") !== (apiKey.allowedCidrs ?? []).join(",")) {
      input.allowedCidrs = cidrs.length ? cidrs : null;
    }
    await call("UpdateApiKey", { id: apiKey.id, input });
    onDone(`Key ${name} saved.`);
  });
  return html`
    <${Dialog} title=${`Edit ${apiKey.name}`} onClose=${onClose}>
      <form onSubmit=${submit}>
        <${Field} label="Name"><input type="text" required value=${name} onInput=${(e) => setName(e.currentTarget.value)} /><//>
        <${Field} label="Description"><textarea rows="2" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)}></textarea><//>
        <${Field} label="Rate limit per minute" hint="1 to 100,000 requests a minute; empty for no limit.">
          <input type="number" min="1" max="100000" inputmode="numeric" value=${rateLimit} onInput=${(e) => setRateLimit(e.currentTarget.value)} />
        <//>
        <${Field} label="Allowed networks" hint="IP addresses or CIDR ranges, one a line; empty for any.">
          <textarea rows="2" class="mono" value=${networks} onInput=${(e) => setNetworks(e.currentTarget.value)}></textarea>
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

const GRACE_PERIODS = [
  ["0", "None: the old key stops now"],
  ["3600", "1 hour"],
  ["86400", "24 hours"],
];

function RollKeyDialog({ apiKey, onClose }) {
  const [grace, setGrace] = useState("0");
  const [rolled, setRolled] = useState(null);
  const { error, busy, submit } = useSubmit(async () => {
    const { rollKey } = await call("RollKey", { id: apiKey.id, gracePeriodSeconds: Number(grace) });
    setRolled(rollKey);
  });
  if (rolled) {
    return html`
      <${Dialog} title="Key Rolled" onClose=${onClose}>
        <p>The key <strong>${rolled.apiKey.name}</strong> has a new secret.</p>
        <${Secret} secret=${rolled.secret} what="new API key" onDone=${onClose} />
      <//>
    `;
  }
  return html`
    <${Dialog} title=${`Roll ${apiKey.name}`} onClose=${onClose}>
      <form onSubmit=${submit}>
        <p>A new secret replaces the key's current one; its name, scopes and history stay.</p>
        <${Field} label="Old secret keeps working for">
          <select value=${grace} onChange=${(e) => setGrace(e.currentTarget.value)}>
            ${GRACE_PERIODS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        <//>
        <${ErrorMessage} error=${error} />
        <div class="actions">
          <button type="button" onClick=${onClose}>Cancel</button>
          <button type="submit" class="primary" disabled=${busy}>Roll Key</button>
        </div>
      </form>
    <//>
  `;
}

const CONFIRMATIONS = {
  Revoke: { operation: "RevokeKey", done: "revoked", text: " Requests with it fail at once, for good." },
  Disable: {
    operation: "DisableKey",
    done: "disabled",
    text: " Requests with it fail at once, until it is enabled again.",
  },
  Delete: {
    operation: "DeleteApiKey",
    done: "deleted",
    text: " The key and its usage history are removed. This cannot be undone.",
  },
};

function ConfirmKeyDialog({ apiKey, action, onClose, onDone }) {
  const confirmation = CONFIRMATIONS[action];
  const { error, busy, submit } = useSubmit(async () => {
    await call(confirmation.operation, { id: apiKey.id });
    onDone(`Key ${apiKey.name} ${confirmation.done}.`);
  });
  return html`
    <${Dialog} title=${`${action} API key?`} onClose=${onClose}>
      <p>
        ${action} <strong>${apiKey.name}</strong> (<code>${apiKey.maskedKey}</code>)?
        ${confirmation.text}
      </p>
      <${ErrorMessage} error=${error} />
      <div class="actions">
        <button type="button" onClick=${onClose} data-autofocus>Cancel</button>
        <button type="button" class="danger" disabled=${busy} onClick=${submit}>${action}</button>
      </div>
    <//>
  `;
}
