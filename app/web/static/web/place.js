/* The place page: small map, social tags, threads with official answers, contributing, favourite. */
"use strict";
(function () {
  const { $, config, t, el, api, anno, ApiError } = PVB;
  const place = config.place;
  const mapNode = $("#map");
  const lat = Number(mapNode.dataset.lat), lon = Number(mapNode.dataset.lon);
  const map = L.map(mapNode, { attributionControl: !!config.tile_url }).setView([lat, lon], 16);
  if (config.tile_url) L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
  L.circleMarker([lat, lon], { radius: 9, color: "#7a2e0e", weight: 3, fillColor: "#d9480f", fillOpacity: 0.9 }).addTo(map);

  let available = true;
  async function refresh() {
    let all;
    try {
      all = await anno.collection({ target: place });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 405)) {
        available = false;
        $("#threads").replaceChildren(el("p", { class: "meta" }, t("annotations_unavailable")));
        return;
      }
      $("#threads").replaceChildren(el("p", { class: "error" }, e.message));
      return;
    }
    const tags = all.filter((a) => anno.motivation(a) === "tagging");
    const counts = new Map();
    tags.forEach((a) => { const k = anno.text(a); counts.set(k, (counts.get(k) || 0) + 1); });
    $("#social-tags").replaceChildren(...[...counts].map(([k, n]) => el("li", {}, k + (n > 1 ? " ×" + n : ""))));
    // Threads with replies at any depth come from the place context when the server has them;
    // otherwise they are built from the annotations on the place.
    let roots = null;
    try {
      const ctx = await api("/places/" + PVB.placeKey(place));
      if (ctx.social && ctx.social.comments) roots = ctx.social.comments.items;
    } catch (e) { /* fall back below */ }
    if (!roots) {
      const talk = all.filter((a) => ["commenting", "replying", "questioning"].includes(anno.motivation(a)));
      roots = anno.threads(talk, place);
    }
    const ol = el("ol", { class: "threads" });
    roots.forEach((a) => ol.append(anno.render(a, replyAction)));
    $("#threads").replaceChildren(roots.length ? ol : el("p", { class: "meta" }, t("no_comments")));
    const mine = PVB.me && all.find((a) => anno.motivation(a) === "bookmarking" && JSON.stringify(a.creator || "").includes(PVB.me.id));
    const fav = $("#favourite");
    fav.setAttribute("aria-pressed", mine ? "true" : "false");
    fav.textContent = mine ? "★ " + t("favourited") : "☆ " + t("favourite");
    fav.dataset.annotation = mine ? mine.id : "";
  }
  function replyAction(a, li) {
    if (!PVB.me) return;
    const details = el("details", { class: "reply" }, el("summary", {}, t("reply")));
    details.append(anno.replyForm(a, t("reply"), refresh));
    li.append(details);
  }

  document.querySelectorAll("form.annotate").forEach((form) => {
    PVB.handle(form, (data) => {
      const motivation = form.dataset.motivation;
      let body;
      if (motivation === "linking") body = data.get("source");
      else if (motivation === "describing") body = Object.assign(anno.textBody(data.get("value")), { title: data.get("title") });
      else if (motivation === "tagging") body = Object.assign(anno.textBody(data.get("value")), { purpose: "tagging" });
      else body = anno.textBody(data.get("value"));
      return anno.post({ motivation, target: place, body });
    }, () => { form.reset(); refresh(); });
  });
  $("#favourite").addEventListener("click", async () => {
    const fav = $("#favourite");
    try {
      if (fav.dataset.annotation) await api(PVB.local(fav.dataset.annotation), { method: "DELETE" });
      else await anno.post({ motivation: "bookmarking", target: place });
    } catch (e) { fav.after(el("span", { class: "error", role: "alert" }, e.message)); }
    refresh();
  });
  PVB.onAccount(() => { if (available) refresh(); });
})();
