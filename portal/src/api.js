// The portal's one way to the server: POST /graphql on this origin, with the session token
// from memory. The token lives in this module only: never in the URL, a cookie,
// localStorage or sessionStorage, so a reload (or a new tab) signs the user out.
import documents from "./documents.generated.js";

let token = null;
// A server with TRUSTED_DOCUMENTS runs documents by id only (every operation here is in the
// manifest the build writes); one without it wants the text. The text goes first, and the
// first refusal for it switches to ids for the rest of the session.
let sendText = true;
const TRUSTED_ONLY = "This server runs trusted documents only";
let onSignedOut = () => {};
// Asked when a change needs a second factor verified moments ago (STEP_UP_REQUIRED): resolves
// once the user has verified one, rejects when they cancel.
let onStepUp = null;

export class ApiError extends Error {
  constructor(message, code, reason, status) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
  toString() {
    const detail = [this.code, this.reason].filter(Boolean).join(", ");
    return detail ? `${this.message} (${detail})` : this.message;
  }
}

export function setToken(value) {
  token = value;
}

export function signedIn() {
  return token !== null;
}

export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export function whenStepUpNeeded(callback) {
  onStepUp = callback;
}

async function post(name, variables) {
  const document = documents[name];
  if (!document) throw new Error(`unknown operation ${name}`);
  const body = sendText
    ? { query: document.text, operationName: name, variables }
    : { documentId: document.id, operationName: name, variables };
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json",
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError("The server could not be reached.", "NETWORK_ERROR");
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    throw new ApiError(`The server answered HTTP ${response.status} without JSON.`, "INTERNAL", null, response.status);
  }
  return { response, answer };
}

export async function call(name, variables = {}, { retried = false } = {}) {
  let { response, answer } = await post(name, variables);
  const first = answer?.errors?.[0];
  if (sendText && response.status === 400 && first?.message?.startsWith(TRUSTED_ONLY)) {
    sendText = false;
    ({ response, answer } = await post(name, variables));
  }
  const error = answer?.errors?.[0];
  if (error) {
    const failure = new ApiError(
      error.message,
      error.extensions?.code,
      error.extensions?.reason,
      response.status,
    );
    if (failure.reason === "STEP_UP_REQUIRED" && onStepUp && !retried) {
      await onStepUp(failure);
      return call(name, variables, { retried: true });
    }
    if (failure.code === "UNAUTHENTICATED" && token && name !== "SignIn") {
      token = null;
      onSignedOut("Your session has ended; please sign in again.");
    }
    throw failure;
  }
  if (!answer || answer.data == null) {
    throw new ApiError(`The server answered HTTP ${response.status} with no data.`, "INTERNAL", null, response.status);
  }
  return answer.data;
}
