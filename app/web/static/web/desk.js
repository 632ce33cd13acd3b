/* The institution desk: unanswered questions, mentions, answer as the institution, hide spam,
   and contributors grouped by how they take part (rules shown with each group). */
"use strict";
(function () {
  const { $, config, t, el, api, anno, ApiError } = PVB;
  const DAY = 86400000;
  const nl = config.lang === "nl";
  /* Groups are checked in this order; a person lands in the first that fits. */
  const GROUPS = [
    { key: "power", name: nl ? "Kernleden" : "Power users",
      rule: nl ? "≥ 10 bijdragen en ≥ 5 reacties of favorieten van anderen erop" : "≥ 10 posts and ≥ 5 replies or favourites from others on them",
      test: (p) => p.posts >= 10 && p.received >= 5 },
    { key: "heavy", name: nl ? "Veelschrijvers" : "Heavy posters",
      rule: nl ? "≥ 10 bijdragen binnen 24 uur" : "≥ 10 posts within 24 hours",
      test: (p) => p.burst >= 10 },
    { key: "newcomer", name: nl ? "Nieuwkomers" : "Newcomers",
      rule: nl ? "eerste bijdrage < 28 dagen geleden en < 5 bijdragen" : "first post < 28 days ago and < 5 posts",
      test: (p) => p.posts > 0 && p.posts < 5 && Date.now() - p.first < 28 * DAY },
    { key: "regular", name: nl ? "Vaste bezoekers" : "Regulars",
      rule: nl ? "bijdragen in ≥ 2 verschillende weken, of ≥ 5 bijdragen" : "posts in ≥ 2 different weeks, or ≥ 5 posts",
      test: (p) => p.posts > 0 && (p.weeks >= 2 || p.posts >= 5) },
    { key: "occasional", name: nl ? "Incidentele schrijvers" : "Occasional posters",
      rule: nl ? "een paar bijdragen, langer dan 28 dagen geleden begonnen" : "a few posts, started more than 28 days ago",
      test: (p) => p.posts > 0 },
    { key: "lurker", name: nl ? "Meelezers" : "Lurkers",
      rule: nl ? "volgen of markeren als favoriet, maar schrijven nooit" : "follow or favourite, but never post",
      test: (p) => p.posts === 0 },
  ];
  const creatorId = (a) => { const c = Array.isArray(a.creator) ? a.creator[0] : a.creator; return c ? (typeof c === "string" ? c : c.id) : "?"; };
  const creatorName = (a) => { const c = Array.isArray(a.creator) ? a.creator[0] : a.creator; return c && typeof c === "object" ? c.name || c.id : c || "?"; };

  function classify(annotations) {
    const people = new Map(), byId = new Map(annotations.map((a) => [a.id, a]));
    const person = (a) => {
      const id = creatorId(a);
      if (!people.has(id)) people.set(id, { id, name: creatorName(a), posts: 0, received: 0, times: [], first: Infinity });
      return people.get(id);
    };
    for (const a of annotations) {
      if (anno.institution(a)) continue; // the institution's own voice is not a contributor
      const p = person(a), when = Date.parse(a.created || "") || Date.now();
      const m = anno.motivation(a);
      if (m !== "bookmarking" && m !== "following") { p.posts++; p.times.push(when); p.first = Math.min(p.first, when); }
      const parent = byId.get(anno.targetId(a));
      if (parent && creatorId(parent) !== p.id) person(parent).received++;
    }
    const groups = new Map(GROUPS.map((g) => [g.key, []]));
    for (const p of people.values()) {
      p.times.sort((x, y) => x - y);
      p.burst = 0;
      for (let i = 0, j = 0; j < p.times.length; j++) { while (p.times[j] - p.times[i] > DAY) i++; p.burst = Math.max(p.burst, j - i + 1); }
      p.weeks = new Set(p.times.map((x) => Math.floor(x / (7 * DAY)))).size;
      groups.get(GROUPS.find((g) => g.test(p)).key).push(p);
    }
    return groups;
  }

  function showGroups(annotations) {
    const groups = classify(annotations);
    $("#groups").replaceChildren(...GROUPS.map((g) => el("tr", { "data-group": g.key },
      el("th", { scope: "row" }, g.name), el("td", {}, g.rule),
      el("td", {}, groups.get(g.key).map((p) => p.name + " (" + p.posts + ")").join(", ") || "—"))));
  }

  let key = null, institutionIri = null;
  async function load() {
    const actions = (a, li) => {
      const answer = el("details", { class: "reply" }, el("summary", {}, t("answer")));
      answer.append(anno.replyForm(a, t("answer"), load, institutionIri));
      const hide = el("button", { type: "button", class: "link" }, t("hide"));
      hide.addEventListener("click", async () => {
        try { await api(PVB.local(a.id) + "/hide", { method: "POST" }); hide.replaceWith(el("span", {}, t("hidden"))); }
        catch (e) { hide.after(el("span", { class: "error", role: "alert" }, e.message)); }
      });
      li.append(answer, " ", hide);
    };
    for (const [name, node] of [["unanswered", $("#unanswered")], ["mentions", $("#mentions")]]) {
      try {
        const found = anno.items(await api("/institutions/" + key + "/" + name));
        node.replaceChildren(...(found.length ? found.map((a) => anno.render(a, name === "unanswered" ? actions : null))
                                             : [el("li", { class: "meta" }, t("nothing"))]));
        if (name === "mentions") showGroups(found);
      } catch (e) {
        node.replaceChildren(el("li", { class: "meta" }, e instanceof ApiError && e.status === 404 ? t("annotations_unavailable") : e.message));
        if (name === "mentions") showGroups([]);
      }
    }
  }

  PVB.onAccount((me) => {
    const staffOf = me ? [...new Set([...(me.staff_of || []), ...(me.curator_of || [])])] : [];
    $("#desk").hidden = !staffOf.length;
    $("#desk-status").textContent = staffOf.length ? "" : t("desk_staff_only");
    if (!staffOf.length) return;
    const select = $("#institution");
    select.replaceChildren(...staffOf.map((iri) => el("option", { value: iri.split("/").pop(), "data-iri": iri }, iri.split("/").pop())));
    const chosen = () => { key = select.value; institutionIri = select.selectedOptions[0].dataset.iri; };
    const feeds = () => { $("#feed-atom").href = "/institutions/" + key + "/feed.atom"; $("#feed-as2").href = "/institutions/" + key + "/feed.json"; };
    select.onchange = () => { chosen(); feeds(); load(); };
    chosen();
    feeds();
    showGroups([]);
    load();
  });
})();
