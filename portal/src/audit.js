import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { ErrorMessage, Field, Pager, Time, html, usePager } from "./ui.js";

const OUTCOMES = [
  ["", "Any outcome"],
  ["OK", "OK"],
  ["UNAUTHENTICATED", "Unauthenticated"],
  ["FORBIDDEN", "Forbidden"],
  ["BAD_USER_INPUT", "Bad user input"],
  ["NOT_FOUND", "Not found"],
  ["CONFLICT", "Conflict"],
];

export function AuditPage() {
  const [action, setAction] = useState("");
  const [outcome, setOutcome] = useState("");
  const pager = usePager();
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [names, setNames] = useState({});
  useEffect(() => {
    const load = async () => {
      const { auditLog } = await call("AuditLog", {
        first: 20,
        after: pager.after,
        action: action.trim() || null,
        outcome: outcome || null,
      });
      setData(auditLog);
      setError(null);
      // Who and what, by name: one request for the page's ids; deleted ones stay ids.
      const ids = [
        ...new Set(auditLog.nodes.flatMap((event) => [event.actorId, event.targetId]).filter(Boolean)),
      ];
      if (ids.length === 0) return;
      const { nodes } = await call("AuditNames", { ids });
      setNames(Object.fromEntries(nodes.filter(Boolean).map((node) => [node.id, node.email ?? node.name])));
    };
    load().catch(setError);
  }, [pager.after, action, outcome]);
  const named = (type, id) => `${type ?? ""} ${id ? names[id] ?? id : ""}`.trim();
  return html`
    <section aria-labelledby="page-title">
      <div class="page-header"><h1 id="page-title">Audit Log</h1></div>
      <div class="toolbar" role="search">
        <${Field} label="Action" hint="Exact name, such as api_key.revoke">
          <input type="search" value=${action} onChange=${(e) => { setAction(e.currentTarget.value); pager.reset(); }} />
        <//>
        <${Field} label="Outcome">
          <select value=${outcome} onChange=${(e) => { setOutcome(e.currentTarget.value); pager.reset(); }}>
            ${OUTCOMES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select>
        <//>
      </div>
      <${ErrorMessage} error=${error} />
      ${data &&
      html`
        <div class="card table-card">
          <table class="responsive">
            <caption class="visually-hidden">Audit events</caption>
            <thead>
              <tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">From</th></tr>
            </thead>
            <tbody>
              ${data.nodes.map(
                (event) => html`
                  <tr key=${event.id}>
                    <td data-label="When"><${Time} value=${event.at} /></td>
                    <td data-label="Action"><code>${event.action}</code></td>
                    <td data-label="Outcome">${event.outcome}</td>
                    <td data-label="Actor" class="break">${named(event.actorType, event.actorId)}</td>
                    <td data-label="Target" class="break">${named(event.targetType, event.targetId)}</td>
                    <td data-label="From">${event.clientAddress ?? ""}</td>
                  </tr>
                `,
              )}
              ${data.nodes.length === 0 && html`<tr><td colspan="6" class="muted">No events match.</td></tr>`}
            </tbody>
          </table>
        </div>
        <${Pager} pager=${pager} pageInfo=${data.pageInfo} total=${data.totalCount} noun="events" />
      `}
    </section>
  `;
}
