// The board's only way to the service: the public API, signed in by the session cookie.
// Every write carries the CSRF token (from Django's csrftoken cookie) and an Idempotency-Key, so a retry
// after a dropped connection is answered with the first response instead of acting twice.

export class ApiError extends Error {
  constructor(status, body) {
    const errors = (body && body.errors) || [];
    super(errors.map((e) => (e.attr ? `${e.attr}: ${e.detail}` : e.detail)).join(" ") || `HTTP ${status}`);
    this.status = status;
    this.errors = errors;
  }
}

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function signIn(next) {
  const here = next || location.pathname + location.search;
  location.assign(`/board/sign-in/?next=${encodeURIComponent(here)}`);
}

// fetch() a path of /api/v1/; resolves to the JSON body (null for 204/304), rejects with ApiError.
// `key`: the Idempotency-Key of a write (made once per user action, reused by its retries).
export async function api(path, { method = "GET", body, key, etag } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = cookie("csrftoken");
    if (method === "POST") headers["Idempotency-Key"] = key || newKey();
  }
  if (etag) headers["If-None-Match"] = etag;
  const response = await fetch(`/api/v1/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    cache: "no-store",
  });
  if (response.status === 401 && document.body.dataset.page !== "sign-in") {
    signIn();
    throw new ApiError(401, null);
  }
  if (response.status === 204 || response.status === 304) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Every item of a cursor-paginated list, page after page (at most `pages` of them).
export async function everyPage(path, { pages = 20 } = {}) {
  const items = [];
  for (let page = 0; path && page < pages; page += 1) {
    const body = await api(path);
    items.push(...body.results);
    path = body.next ? body.next.slice(body.next.indexOf("/api/v1/") + "/api/v1/".length) : null;
  }
  return items;
}

// A write as the user meant it once: retried on a network failure with the same Idempotency-Key.
export async function write(path, body, { attempts = 3 } = {}) {
  const key = newKey();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await api(path, { method: "POST", body, key });
    } catch (error) {
      if (error instanceof ApiError || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}
