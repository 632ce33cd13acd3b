/* The visitor map: choose a point (search, geolocation, map click or ?lat=&lon=), list places nearest first. */
"use strict";
(function () {
  const { $, config, t, el, api, distance, placeKey, NetworkError } = PVB;
  const map = L.map("map", { zoomControl: true, attributionControl: !!config.tile_url, keyboard: true })
    .setView([53.1, 6.3], 9);
  if (config.tile_url) {
    L.tileLayer(config.tile_url, { maxZoom: 19, attribution: config.tile_attribution || "" }).addTo(map);
  }
  const markers = L.layerGroup().addTo(map);
  let here = null, cursor = null, point = null;

  function radius() { return Number($("#radius").value); }
  function status(text) { $("#status").textContent = text; }

  function why(ctx) {
    const parts = [];
    for (const k of ["stories", "collections", "sources", "tags", "comments", "bookmarks"]) {
      if (ctx[k]) parts.push(t(k) + ": " + ctx[k]);
    }
    return parts.join(" · ");
  }

  function item(place) {
    const href = "/place/" + placeKey(place.id);
    const li = el("li", { class: "place-item" },
      el("a", { href, class: "place-link" }, place.label),
      " ", el("span", { class: "distance" }, distance(place.distance_m)));
    const types = place.types.map((ty) => ty.label).filter(Boolean).join(", ");
    if (types) li.append(el("p", { class: "meta" }, types));
    const reasons = why(place.context);
    if (reasons) li.append(el("p", { class: "why" }, reasons));
    if (place.context.story_titles.length) {
      const ul = el("ul", { class: "stories" });
      place.context.story_titles.forEach((s) => ul.append(el("li", {}, s)));
      li.append(ul);
    }
    const marker = L.circleMarker([place.lat, place.lon], {
      radius: 7, color: "#7a2e0e", weight: 2, fillColor: place.context.stories ? "#d9480f" : "#f4a259",
      fillOpacity: 0.9, keyboard: false,
    }).bindTooltip(place.label);
    marker.on("click", () => { window.location.href = href; });
    markers.addLayer(marker);
    return li;
  }

  async function load(more) {
    if (!point) return;
    const params = new URLSearchParams({ lat: point.lat, lon: point.lon, radius: radius(), limit: 20, lang: config.lang });
    if (more && cursor) params.set("cursor", cursor);
    status(t("searching"));
    try {
      const page = await api("/places/nearby?" + params);
      if (!more) { $("#places").replaceChildren(); markers.clearLayers(); }
      page.items.forEach((p) => $("#places").append(item(p)));
      cursor = page.next_cursor;
      $("#more").hidden = !cursor;
      status(page.total ? t("results_count", { n: page.total, r: distance(radius()) }) : t("results_none"));
    } catch (e) {
      status(e instanceof NetworkError ? e.message : t("error") + ": " + e.message);
    }
  }

  function go(lat, lon, zoom) {
    point = { lat: Number(lat.toFixed(6)), lon: Number(lon.toFixed(6)) };
    if (here) here.setLatLng([point.lat, point.lon]);
    else here = L.circleMarker([point.lat, point.lon], { radius: 9, color: "#1c3d5a", weight: 3, fillColor: "#fff", fillOpacity: 1 }).addTo(map);
    map.setView([point.lat, point.lon], zoom || Math.max(map.getZoom(), 15));
    const url = new URL(window.location.href);
    url.searchParams.set("lat", point.lat); url.searchParams.set("lon", point.lon); url.searchParams.set("radius", radius());
    history.replaceState(null, "", url);
    document.querySelectorAll(".langs a").forEach((a) => {
      const u = new URL(url); u.searchParams.set("lang", a.dataset.lang); a.href = u.pathname + u.search;
    });
    load(false);
  }

  map.on("click", (e) => go(e.latlng.lat, e.latlng.lng));
  $("#radius").addEventListener("change", () => { if (point) go(point.lat, point.lon, map.getZoom()); });
  $("#more").addEventListener("click", () => load(true));
  $("#locate").addEventListener("click", () => {
    if (!navigator.geolocation) { status(t("geo_denied")); return; }
    status(t("searching"));
    navigator.geolocation.getCurrentPosition((pos) => go(pos.coords.latitude, pos.coords.longitude),
      () => status(t("geo_denied")), { enableHighAccuracy: true, timeout: 15000 });
  });

  PVB.handle($("#search-form"), async (data) => {
    const q = (data.get("q") || "").trim();
    const list = $("#search-results");
    list.replaceChildren();
    const found = await api("/places/search?" + new URLSearchParams({ q, lang: config.lang }));
    if (!found.length) { list.append(el("li", {}, t("search_none"))); return; }
    found.forEach((r) => {
      const button = el("button", { type: "button", class: "link" }, r.label);
      button.addEventListener("click", () => {
        list.replaceChildren();
        go(r.lat, r.lon, r.kind === "town" ? 14 : 17);
        $("#results-title").focus();
      });
      list.append(el("li", {}, button, " ", el("span", { class: "meta" }, r.kind === "town" ? t("town") + " · " + r.count : "")));
    });
  });
  $("#results-title").setAttribute("tabindex", "-1");

  if (config.point) go(config.point.lat, config.point.lon, 15);
})();
