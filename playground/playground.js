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

  // Subscriptions go over graphql-transport-ws on the same path. The socket says who it is
  // in `connection_init`, with the headers of the Headers editor as they are when it opens:
  // the client connects lazily and closes once no subscription is left, so a changed token
  // is used by the next subscription.
  var currentHeaders = {};
  var wsClient = window.graphqlWs
    ? window.graphqlWs.createClient({
        url: endpoint.replace(/^http/, "ws"),
        connectionParams: function () {
          return currentHeaders;
        },
      })
    : null;
  var overHttp = GraphiQL.createFetcher({ url: endpoint });

  // Whether the operation to run is a subscription. Read from the text itself: the
  // editor's parsed document may still be that of the text before the last keystroke.
  function isSubscription(query, operationName) {
    var text = String(query || "").replace(/#[^\n\r]*/g, "");
    var pattern = /(?:^|[\s}])(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?/g;
    var operations = [];
    var found;
    while ((found = pattern.exec(text)) !== null) {
      operations.push({ type: found[1], name: found[2] });
    }
    var chosen = operations.filter(function (operation) {
      return !operationName || operation.name === operationName;
    });
    return chosen.length > 0 && chosen[0].type === "subscription";
  }

  function fetcher(graphQLParams, options) {
    if (wsClient && isSubscription(graphQLParams.query, graphQLParams.operationName)) {
      currentHeaders = (options && options.headers) || {};
      return wsClient.iterate(graphQLParams);
    }
    return overHttp(graphQLParams, options);
  }

  var plugins = [];
  if (window.GraphiQLPluginExplorer) {
    plugins.push(window.GraphiQLPluginExplorer.explorerPlugin());
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
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
