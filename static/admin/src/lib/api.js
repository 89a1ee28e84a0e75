// The JSON API under /admin/api/, with the session's CSRF token, and our own navigations.

const csrfMeta = $('meta[name="csrf-token"]');
const csrfToken = csrfMeta ? csrfMeta.getAttribute('content') : '';

// Our own navigations (after deleting, signing out, losing the session) skip the
// "leave this page?" question: the page has decided already.
let navigating = false;
const go = (url) => {
  navigating = true;
  location.assign(url);
};

const signInUrl = () =>
  '/admin/login/?next=' + encodeURIComponent(location.pathname + location.search);

// Pages with unsaved work replace these: keep it before the session ends, and say
// whether there is any.
const hooks = {
  beforeSignIn: () => {},
  unsaved: () => false,
};

const capitalise = (text) => (text ? text.charAt(0).toUpperCase() + text.slice(1) : text);

const failure = (status, message, fieldName) => {
  const error = new Error(message);
  error.status = status;
  error.field = fieldName || null;
  return error;
};

// Calls the API; answers the JSON body, or throws an Error with `status`, `field` and the
// API's message. A 401 means the session has ended: off to the sign-in page, unless the
// call is one of the signed-out pages' own.
const api = async (method, path, payload, options) => {
  const opts = options || {};
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  // a FormData body (an upload) sets its own multipart Content-Type
  const form = payload instanceof FormData;
  if (payload !== undefined) {
    init.body = form ? payload : JSON.stringify(payload);
  }
  if (payload !== undefined && !form) {
    headers['Content-Type'] = 'application/json';
  }
  if (csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  let response = null;
  try {
    response = await fetch('/admin/api' + path, init);
  } catch (e) {
    throw failure(0, 'Cannot reach the server. Check your connection and try again.');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = null;
  }
  if (response.ok) {
    return data;
  }
  const error = data && data.error ? data.error : {};
  const message = capitalise(error.message || 'The server answered ' + response.status + '.');
  if (response.status === 401 && !opts.signedOut) {
    hooks.beforeSignIn();
    go(signInUrl());
  }
  throw failure(response.status, message, error.field);
};
