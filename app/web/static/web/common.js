/* Shared by every page: messages, the API with problem+json errors, login, forms. No framework.
   User text is only ever put into the page with textContent. */
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const config = JSON.parse($("#pvb-config").textContent);
  const msg = JSON.parse($("#pvb-messages").textContent);
  const TOKEN = "pvb_token";

  function t(key, values) {
    let s = msg[key] || key;
    for (const k in values || {}) s = s.replace("{" + k + "}", values[k]);
    return s;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "class") node.className = attrs[k];
      else if (k === "text") node.textContent = attrs[k];
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c); // strings become text nodes
    return node;
  }
  function token() { return localStorage.getItem(TOKEN); }

  class ApiError extends Error {
    constructor(problem, status) {
      super(problem.detail || problem.title || String(status));
      this.problem = problem; this.status = status;
    }
  }
  class NetworkError extends Error {}

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    opts.headers = Object.assign({ Accept: "application/json", "Accept-Language": config.lang }, opts.headers);
    if (token() && !opts.anonymous) opts.headers.Authorization = "Bearer " + token();
    let response;
    try {
      response = await fetch(path, opts);
    } catch (e) {
      throw new NetworkError(t("network_error"));
    }
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json().catch(() => ({})) : await response.text();
    if (!response.ok) {
      if (response.status === 401 && token() && !opts.anonymous) { localStorage.removeItem(TOKEN); }
      throw new ApiError(typeof body === "object" ? body : { detail: String(body) }, response.status);
    }
    return body;
  }

  /* This server's path for one of its IRIs (the base IRI may name another host than the page's). */
  function local(iri) { return iri.startsWith(config.base) ? "/" + iri.slice(config.base.length) : iri; }
  function distance(m) { return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(1) + " km"; }
  function placeKey(iri) {
    const prefix = config.base + "id/place/";
    const rest = iri.startsWith(prefix) ? iri.slice(prefix.length) : "";
    return rest && !rest.includes("/") ? rest : encodeURIComponent(iri);
  }

  /* Show an API failure next to the fields it names (problem+json `errors[].location`), the rest at
     the form. The typed text stays where it is. */
  function clearErrors(form) {
    form.querySelectorAll(".error").forEach((e) => { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  }
  function showError(form, error) {
    const general = form.querySelector(".form-error");
    let placed = false;
    const problem = error.problem || {};
    for (const item of problem.errors || []) {
      const name = (item.location || []).slice(-1)[0];
      const field = name && form.elements[name];
      if (field && field.id) {
        const slot = document.getElementById(field.id + "-error");
        if (slot) { slot.textContent = item.message; field.setAttribute("aria-invalid", "true"); placed = true; }
      }
    }
    if (!placed) {
      // A detail like "password: at least 10 characters" names its field too.
      const m = /^(\w+):\s*(.*)$/.exec(problem.detail || "");
      const field = m && form.elements[m[1]];
      if (field && field.id && document.getElementById(field.id + "-error")) {
        document.getElementById(field.id + "-error").textContent = m[2];
        field.setAttribute("aria-invalid", "true");
        placed = true;
      }
    }
    if (!placed && general) general.textContent = error instanceof NetworkError ? error.message : (t("error") + ": " + error.message);
  }
  /* Submit a form through `send`; on success `done`; on failure errors are shown and input kept. */
  function handle(form, send, done) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const result = await send(new FormData(form));
        if (done) done(result);
      } catch (error) {
        showError(form, error);
      } finally {
        button.disabled = false;
      }
    });
  }

  const listeners = [];
  async function refreshAccount() {
    let me = null;
    if (token()) {
      try { me = await api("/me"); } catch (e) { if (!(e instanceof NetworkError)) localStorage.removeItem(TOKEN); }
    }
    const who = $("#who"), logout = $("#logout"), box = $("#login-box");
    if (who) {
      who.hidden = !me; logout.hidden = !me; box.hidden = !!me;
      if (me) box.open = false;
      who.textContent = me ? t("logged_in_as") + " " + me.display_name : "";
    }
    document.querySelectorAll(".needs-login").forEach((n) => { n.hidden = !me; });
    document.querySelectorAll(".login-hint").forEach((n) => { n.hidden = !!me; });
    PVB.me = me;
    listeners.forEach((f) => f(me));
    return me;
  }
  async function login(username, password) {
    const form = new URLSearchParams({ username, password });
    const result = await api("/auth/token", {
      method: "POST", body: form, anonymous: true,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    localStorage.setItem(TOKEN, result.access_token);
    return refreshAccount();
  }

  function setupAccount() {
    const loginForm = $("#login-form");
    if (!loginForm) return;
    handle(loginForm, (data) => login(data.get("username"), data.get("password")), () => loginForm.reset());
    handle($("#register-form"), async (data) => {
      await api("/auth/register", {
        method: "POST", anonymous: true, headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: data.get("username"), password: data.get("password"),
                               display_name: data.get("display_name") }),
      });
      return login(data.get("username"), data.get("password"));
    }, () => $("#register-form").reset());
    $("#logout").addEventListener("click", async () => {
      try { await api("/auth/revoke", { method: "POST" }); } catch (e) { /* the token is dropped anyway */ }
      localStorage.removeItem(TOKEN);
      refreshAccount();
    });
  }

  window.PVB = { $, config, t, el, api, ApiError, NetworkError, handle, showError, clearErrors, distance, placeKey, local,
                 token, me: null, onAccount: (f) => listeners.push(f), refreshAccount };
  setupAccount();
  document.addEventListener("DOMContentLoaded", refreshAccount);
})();
