// Starts GraphiQL for Gatehouse. This file is served from our own origin because the page's
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // GraphiQL keeps tabs, queries, variables, headers and history in `storage`. Handing it a
  // Map that lives only as long as the page means nothing typed here (a password in a login
  // mutation, a token in the headers) outlives the tab: no localStorage, no URL.
  function memoryStorage() {
    var items = new Map();
    return {
      getItem: function (key) {
        return items.has(key) ? items.get(key) : null;
      },
      setItem: function (key, value) {
        items.set(key, String(value));
      },
      removeItem: function (key) {
        items.delete(key);
      },
      clear: function () {
        items.clear();
      },
      get length() {
        return items.size;
      },
    };
  }

  var DEFAULT_QUERY = [
    "# Gatehouse GraphiQL. Nothing typed here is kept:",
    "# reload the page and it is gone.",
    "#",
    "# 1. Sign in:",
    "#    mutation {",
    '#      login(email: "…", password: "…") {',
    "#        token",
    "#      }",
    "#    }",
    "# 2. Open Headers below and put the token there:",
    '#    { "Authorization": "Bearer gs_…" }',
    "# 3. Ask who you are:",
    "",
    "query {",
    "  me { email roles }",
    "}",
    "",
  ].join("\n");

  var endpoint = window.location.origin + window.location.pathname;
  var plugins = [];
  if (window.GraphiQLPluginExplorer) {
    plugins.push(window.GraphiQLPluginExplorer.explorerPlugin());
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: endpoint }),
      storage: memoryStorage(),
      defaultQuery: DEFAULT_QUERY,
      plugins: plugins,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
    }),
  );
})();
