// The SPARQL query page: YASGUI on this server's endpoint, with example queries for institutions.
(function () {
  const EXAMPLES = JSON.parse(document.getElementById("examples-data").textContent);
  const endpoint = new URL("/sparql", window.location.href).href;
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    persistenceId: "pvb-sparql",
  });
  const bar = document.getElementById("examples");
  for (const example of EXAMPLES) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = example.name;
    button.addEventListener("click", () => {
      const tab = yasgui.addTab(true, { name: example.name });
      tab.setQuery(example.query);
    });
    bar.appendChild(button);
  }
  if (!localStorage.getItem("pvb-sparql-seen") && EXAMPLES.length) {
    localStorage.setItem("pvb-sparql-seen", "1");
    yasgui.getTab().setQuery(EXAMPLES[0].query);
  }
})();
