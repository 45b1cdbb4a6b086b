// Shared pieces: a modal dialog (the native <dialog>, which makes the rest of the page inert,
// keeps focus inside and closes on Escape), a keyboard-operable actions menu, errors, pages.
import { cloneElement } from "preact";
import { html } from "htm/preact";
import { useEffect, useId, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatDateTime, formatRelative } from "./format.js";

export { html };

const FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])";

export function Dialog({ title, onClose, children, wide = false }) {
  const ref = useRef(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement;
    dialog.showModal();
    const first =
      dialog.querySelector("[data-autofocus]") ??
      dialog.querySelector("input, select, textarea, button:not(.dialog-close)");
    (first ?? dialog).focus();
    return () => {
      if (dialog.open) dialog.close();
      // Back where the user was; when that row is gone (deleted), to the page's content.
      if (opener && opener.isConnected) opener.focus();
      else document.getElementById("main")?.focus();
    };
  }, []);
  const cancel = (event) => {
    event.preventDefault();
    onClose();
  };
  // showModal() makes the page behind inert, but Tab would still leave for the browser's
  // own controls: keep it cycling inside the dialog.
  const trapTab = (event) => {
    if (event.key !== "Tab") return;
    const focusable = [...ref.current.querySelectorAll(FOCUSABLE)].filter(
      (element) => !element.disabled && element.offsetParent !== null,
    );
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (event.shiftKey && (document.activeElement === first || !ref.current.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return html`
    <dialog ref=${ref} class=${wide ? "dialog wide" : "dialog"} aria-labelledby=${titleId} onCancel=${cancel} onKeyDown=${trapTab}>
      <div class="dialog-header">
        <h2 id=${titleId}>${title}</h2>
        <button type="button" class="dialog-close icon-button" aria-label="Close dialog" onClick=${onClose}>×</button>
      </div>
      <div class="dialog-body">${children}</div>
    </dialog>
  `;
}

export function ErrorMessage({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${String(error)}</p>`;
}

export function Notice({ message }) {
  return html`<p class="notice" role="status">${message ?? ""}</p>`;
}

export function Field({ label, hint, children }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const control = Array.isArray(children) ? children[0] : children;
  const labelled = cloneElement(control, { id, "aria-describedby": hintId });
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      ${labelled}
      ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    </div>
  `;
}

export function Checkboxes({ legend, options, selected, onChange, disabled = () => false }) {
  const toggle = (value, on) =>
    onChange(on ? [...selected, value] : selected.filter((item) => item !== value));
  return html`
    <fieldset class="checkboxes">
      <legend>${legend}</legend>
      ${options.map(
        ([value, label]) => html`
          <label class="checkbox" key=${value}>
            <input
              type="checkbox"
              name=${legend}
              value=${value}
              checked=${selected.includes(value)}
              disabled=${disabled(value)}
              onChange=${(event) => toggle(value, event.currentTarget.checked)}
            />
            ${label}
          </label>
        `,
      )}
    </fieldset>
  `;
}

// A menu button (WAI-ARIA menu pattern): Enter, Space or ArrowDown open it on the first
// item, arrows move, Escape closes and gives focus back to the button.
export function ActionsMenu({ label, items }) {
  const [open, setOpen] = useState(false);
  const button = useRef(null);
  const menu = useRef(null);
  const menuId = useId();
  const entries = () => [...(menu.current?.querySelectorAll('[role="menuitem"]') ?? [])];
  // A layout effect: the menu answers keys from the moment it is drawn.
  useLayoutEffect(() => {
    if (!open) return undefined;
    entries()[0]?.focus();
    const outside = (event) => {
      if (!menu.current?.contains(event.target) && !button.current?.contains(event.target)) {
        setOpen(false);
      }
    };
    // Escape closes the menu wherever focus is (and only the menu, not a dialog around it).
    const escape = (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener("pointerdown", outside);
    document.addEventListener("keydown", escape, true);
    return () => {
      document.removeEventListener("pointerdown", outside);
      document.removeEventListener("keydown", escape, true);
    };
  }, [open]);
  if (items.length === 0) return null;
  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onMenuKey = (event) => {
    const all = entries();
    const at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown") all[(at + 1) % all.length]?.focus();
    else if (event.key === "ArrowUp") all[(at - 1 + all.length) % all.length]?.focus();
    else if (event.key === "Home") all[0]?.focus();
    else if (event.key === "End") all[all.length - 1]?.focus();
    else if (event.key === "Tab") {
      close();
      return;
    } else return;
    event.preventDefault();
  };
  const onButtonKey = (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setOpen(true);
    }
  };
  return html`
    <div class="menu">
      <button
        type="button"
        ref=${button}
        class="icon-button"
        aria-label=${label}
        aria-haspopup="menu"
        aria-expanded=${open ? "true" : "false"}
        aria-controls=${open ? menuId : undefined}
        onClick=${() => setOpen(!open)}
        onKeyDown=${onButtonKey}
      >⋯</button>
      ${open &&
      html`
        <ul id=${menuId} role="menu" ref=${menu} aria-label=${label} onKeyDown=${onMenuKey}>
          ${items.map(
            (item) => html`
              <li role="none" key=${item.label}>
                <button
                  type="button"
                  role="menuitem"
                  tabindex="-1"
                  class=${item.danger ? "danger-text" : ""}
                  onClick=${() => {
                    setOpen(false);
                    item.onSelect();
                  }}
                >${item.label}</button>
              </li>
            `,
          )}
        </ul>
      `}
    </div>
  `;
}

export function Time({ value, relative = false, empty = "Never" }) {
  if (!value) return html`<span class="muted">${empty}</span>`;
  const full = formatDateTime(value);
  return html`<time datetime=${value} title=${full}>${relative ? formatRelative(value) : full}</time>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge badge-${status.toLowerCase()}`}>${status.charAt(0) + status.slice(1).toLowerCase()}</span>`;
}

// Cursor paging: the cursors of the pages before this one make "Previous page" possible.
export function usePager() {
  const [cursors, setCursors] = useState([null]);
  return {
    after: cursors[cursors.length - 1],
    page: cursors.length,
    next: (endCursor) => setCursors([...cursors, endCursor]),
    previous: () => setCursors(cursors.slice(0, -1)),
    reset: () => setCursors([null]),
  };
}

export function Pager({ pager, pageInfo, total, noun }) {
  return html`
    <nav class="pager" aria-label=${`${noun} pages`}>
      <span>${total} ${total === 1 ? noun.replace(/s$/, "") : noun} · page ${pager.page}</span>
      <span class="pager-buttons">
        <button type="button" disabled=${pager.page === 1} onClick=${pager.previous}>Previous page</button>
        <button type="button" disabled=${!pageInfo?.hasNextPage} onClick=${() => pager.next(pageInfo.endCursor)}>Next page</button>
      </span>
    </nav>
  `;
}

export function Secret({ secret, what, onDone }) {
  const [copied, setCopied] = useState("");
  const input = useRef(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("Copied to the clipboard.");
    } catch {
      input.current.select();
      setCopied("Selected: press Ctrl+C (⌘C) to copy.");
    }
  };
  return html`
    <div class="secret">
      <p class="warning" role="alert">
        Copy this ${what} now. For your security it won't be shown again.
      </p>
      <${Field} label=${`Your ${what}`}>
        <input ref=${input} class="mono" type="text" readonly value=${secret} data-autofocus onFocus=${(e) => e.currentTarget.select()} />
      <//>
      <div class="actions">
        <span role="status" class="muted">${copied}</span>
        <button type="button" class="primary" onClick=${copy}>Copy</button>
        <button type="button" onClick=${onDone}>Done</button>
      </div>
    </div>
  `;
}

// A search box's value once the user pauses typing: one request, not one a keystroke.
export function useDebounced(value, milliseconds = 250) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), milliseconds);
    return () => clearTimeout(timer);
  }, [value, milliseconds]);
  return settled;
}
