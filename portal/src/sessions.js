// My Account's Sessions: where this account is signed in, each ended on its own or all
// but this one at once.
import { useEffect, useState } from "preact/hooks";
import { call } from "./api.js";
import { ErrorMessage, Notice, Time, html } from "./ui.js";

export function Sessions() {
  const [sessions, setSessions] = useState(null);
  const [error, setError] = useState(null);
  const [done, setDone] = useState("");
  const load = async () => {
    try {
      const { mySessions } = await call("MySessions");
      setSessions(mySessions);
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
      setDone(await action());
      await load();
    } catch (failure) {
      setError(failure);
    }
  };
  const end = (session) =>
    act(async () => {
      await call("EndSession", { id: session.id });
      return "Session ended.";
    });
  const endOthers = () =>
    act(async () => {
      const { endOtherSessions } = await call("EndOtherSessions");
      return endOtherSessions === 1 ? "1 other session ended." : `${endOtherSessions} other sessions ended.`;
    });
  const others = sessions ? sessions.filter((session) => !session.current).length : 0;
  return html`
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      ${sessions && html`
        <table aria-label="Sessions">
          <thead>
            <tr>
              <th scope="col">Device</th><th scope="col">Address</th><th scope="col">Signed In</th>
              <th scope="col">Last Seen</th><th scope="col">Second Factor</th>
              <th scope="col"><span class="visually-hidden">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${sessions.map((session) => html`
              <tr key=${session.id}>
                <td>${session.userAgent ?? "Unknown"}${session.current && html` <span class="chip">This session</span>`}</td>
                <td>${session.clientAddress ?? "Unknown"}</td>
                <td><${Time} value=${session.createdAt} /></td>
                <td><${Time} value=${session.lastSeenAt} /></td>
                <td>${session.mfa ? "Verified" : "No"}</td>
                <td>${!session.current && html`<button type="button" onClick=${() => end(session)} aria-label=${`End the session from ${session.clientAddress ?? "an unknown address"}`}>End</button>`}</td>
              </tr>
            `)}
          </tbody>
        </table>
      `}
      ${others > 0 && html`<div class="actions"><button type="button" onClick=${endOthers}>Sign Out Other Sessions</button></div>`}
      <${ErrorMessage} error=${error} />
      <${Notice} message=${done} />
    </section>
  `;
}
