/* W3C Web Annotations in the page: read a collection, build comment threads, post annotations.
   Shared by the place page and the desk. Every user text goes in with textContent. */
"use strict";
(function () {
  const { t, el, api, config } = PVB;
  const CONTEXT = "http://www.w3.org/ns/anno.jsonld";
  const JSONLD = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"';

  const first = (v) => (Array.isArray(v) ? v[0] : v);
  const list = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  const motivation = (a) => String(first(a.motivation) || "").replace("oa:", "");
  const targetId = (a) => { const x = first(a.target); return typeof x === "string" ? x : x && (x.source || x.id); };
  function bodies(a) { return list(a.body || a.bodyValue && { value: a.bodyValue }); }
  function text(a) {
    if (a.text || a.title) return [a.title, a.text].filter(Boolean).join(": "); // plain JSON items (mentions)
    return bodies(a).map((b) => (typeof b === "string" ? b : b.value || b.label || b.source || b.id || "")).filter(Boolean).join(" ");
  }
  function creatorName(a) {
    const c = first(a.creator);
    return c ? (typeof c === "string" ? c : c.name || c.nickname || c.display_name || c.id) : "";
  }
  /* The institution an annotation speaks for, if any (server-set; several spellings accepted). */
  function institution(a) {
    const candidates = [a.speaksFor, a.speaks_for, a["pvb:speaksFor"], a.institution, a.onBehalfOf];
    for (const c of candidates) {
      const x = first(c);
      if (x) return typeof x === "string" ? { id: x, name: x } : { id: x.id, name: x.name || x.label || x.id };
    }
    const c = list(a.creator).find((x) => x && list(x.type).includes("Organization"));
    return c ? { id: c.id, name: c.name || c.id } : null;
  }
  function items(page) {
    if (!page) return [];
    if (Array.isArray(page)) return page;
    if (page.items) return page.items;
    if (page.orderedItems) return page.orderedItems;
    if (page.first && typeof page.first === "object") return items(page.first);
    return [];
  }
  /* Every annotation whose target is `target`, following `next` pages. */
  async function collection(params) {
    const query = new URLSearchParams(params);
    let page = await api("/annotations/?" + query, {
      headers: { Accept: JSONLD + ", application/ld+json, application/json",
                 Prefer: 'return=representation; include="http://www.w3.org/ns/ldp#PreferContainedDescriptions"' },
    });
    let all = items(page), guard = 0;
    let next = page.first && page.first.next || page.next;
    while (next && guard++ < 20) {
      page = await api(PVB.local(typeof next === "string" ? next : next.id), { headers: { Accept: JSONLD } });
      all = all.concat(items(page));
      next = page.next;
    }
    return all;
  }
  async function post(annotation) {
    return api("/annotations/", {
      method: "POST", headers: { "Content-Type": JSONLD, Accept: JSONLD + ", application/json" },
      body: JSON.stringify(Object.assign({ "@context": CONTEXT, type: "Annotation" }, annotation)),
    });
  }
  function textBody(value) { return { type: "TextualBody", value, format: "text/plain", language: config.lang }; }

  /* Threads: roots target the place; replies target an annotation, at any depth. */
  function threads(annotations, rootTarget) {
    const byId = new Map(annotations.map((a) => [a.id, Object.assign({ replies: [] }, a)]));
    const roots = [];
    for (const a of byId.values()) {
      const parent = byId.get(targetId(a));
      if (parent) parent.replies.push(a);
      else if (!rootTarget || targetId(a) === rootTarget) roots.push(a);
    }
    const newest = (x, y) => String(y.created || "").localeCompare(String(x.created || ""));
    const oldest = (x, y) => -newest(x, y);
    roots.sort(newest);
    for (const a of byId.values()) a.replies.sort(oldest);
    return roots;
  }
  /* One comment (and its replies) as DOM; `actions(a, li)` may add buttons. */
  function render(a, actions) {
    const inst = institution(a);
    const li = el("li", { class: "comment" + (inst ? " official" : ""), id: "a-" + String(a.id).split("/").pop() });
    const head = el("p", { class: "meta" }, el("strong", {}, creatorName(a)));
    if (inst) head.append(" ", el("span", { class: "badge official-badge" }, t("official")), " ", t("on_behalf_of") + " ", el("span", {}, inst.name));
    if (a.created) head.append(" · ", el("time", { datetime: a.created }, new Date(a.created).toLocaleString(config.lang)));
    li.append(head, el("p", { class: "comment-text" }, text(a)));
    if (actions) actions(a, li);
    if (a.replies && a.replies.length) {
      const ol = el("ol", { class: "replies" });
      a.replies.forEach((r) => ol.append(render(r, actions)));
      li.append(ol);
    }
    return li;
  }
  /* An inline reply form; keeps the text if the post fails. */
  function replyForm(a, label, onPosted, speaksFor) {
    const id = "reply-" + Math.random().toString(36).slice(2);
    const form = el("form", { class: "reply-form", novalidate: "" },
      el("p", { class: "field" }, el("label", { for: id }, label),
        el("textarea", { id, name: "value", rows: "2", maxlength: "5000", required: "", "aria-describedby": id + "-error" }),
        el("span", { class: "error", id: id + "-error" })),
      el("p", { class: "form-error error", role: "alert" }),
      el("button", { type: "submit" }, t("send")));
    PVB.handle(form, (data) => post(Object.assign({ motivation: "replying", target: a.id, body: textBody(data.get("value")) },
                                                  speaksFor ? { speaksFor } : {})), onPosted);
    return form;
  }

  PVB.anno = { collection, post, textBody, threads, render, replyForm, motivation, targetId, text, institution, items };
})();
