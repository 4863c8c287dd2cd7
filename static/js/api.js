// The JSON API (SPEC section 5): presets and runs, with errors turned into per-field messages.

/** An API failure: the HTTP status, a message, and the request fields it names ([{field, message}]). */
export class ApiError extends Error {
  constructor(status, message, fields = []) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

/** The fields a FastAPI error detail names: loc ["body", "input", "text", 0] becomes "input.text.0" ("" for the body). */
export function fieldErrors(detail) {
  if (!Array.isArray(detail)) return [{ field: '', message: String(detail ?? 'request failed') }];
  return detail.map((e) => ({ field: (e.loc ?? []).slice(1).join('.'), message: e.msg }));
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function request(url, init, retries) {
  const response = await fetch(url, init);
  if (response.status === 503 && retries > 0) {
    const wait = Math.min(10, Number(response.headers.get('Retry-After')) || 1);
    await sleep(wait * 1000);
    return request(url, init, retries - 1);
  }
  const body = await response.json().catch(() => ({ detail: response.statusText }));
  if (!response.ok) {
    const fields = fieldErrors(body.detail);
    throw new ApiError(response.status, fields.map((f) => f.message).join('; '), fields);
  }
  return body;
}

/** GET /api/presets: the seed notebook's examples, [{name, title, seed_heading, description, config}]. */
export function fetchPresets() {
  return request('/api/presets', {}, 3);
}

/** POST /api/run: the run result of a request; a 503 is retried after its Retry-After (a few times). */
export function runNetwork(body, retries = 3) {
  const init = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  return request('/api/run', init, retries);
}
