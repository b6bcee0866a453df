// The preview's reload script (atalaya `serve`): listens to /events for this page's state; reloads when its
// version changes (keeping the scroll position) and overlays the errors of a broken save until they are
// fixed. Error text is set as text, never as markup.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="atalaya-preview"]');
  if (!meta) return;
  var page = meta.getAttribute("data-page");
  var version = meta.getAttribute("content");
  var key = "atalaya-scroll:" + location.pathname;
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";

  function restore() {
    var saved = sessionStorage.getItem(key);
    if (saved === null) return;
    var y = parseFloat(saved);
    window.scrollTo(0, y);
    // Fonts can change the layout after the first paint: scroll again once they are in.
    if (document.fonts && document.fonts.ready) {
      document.fonts.ready.then(function () {
        window.scrollTo(0, y);
        sessionStorage.removeItem(key);
        document.documentElement.setAttribute("data-restored", String(window.scrollY));
      });
    } else {
      sessionStorage.removeItem(key);
    }
  }
  if (document.readyState === "complete") restore();
  else window.addEventListener("load", restore);

  function status(text) {
    var node = document.getElementById("atalaya-status");
    if (node) node.textContent = text;
  }

  function overlay(errors) {
    var node = document.getElementById("atalaya-overlay");
    if (!errors.length) {
      if (node) node.remove();
      return;
    }
    if (!node) {
      node = document.createElement("pre");
      node.id = "atalaya-overlay";
      node.setAttribute("role", "alert");
      document.body.appendChild(node);
    }
    node.textContent = "";
    var title = document.createElement("strong");
    title.textContent = "The last save has errors; this is the last good preview.";
    node.appendChild(title);
    node.appendChild(document.createTextNode(errors.join("\n")));
  }

  var source = new EventSource("/events?page=" + encodeURIComponent(page));
  source.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    overlay(state.errors);
    status(state.errors.length ? state.errors.length + " error(s)" : "live");
    if (!state.errors.length && state.version !== version) {
      sessionStorage.setItem(key, String(window.scrollY));
      source.close();
      location.reload();
    }
  });
  source.onerror = function () { status("reconnecting…"); };
  source.onopen = function () { status("live"); };

  var audience = document.getElementById("atalaya-audience");
  if (audience) {
    audience.addEventListener("change", function () {
      var target = new URL(audience.value, location.href);
      sessionStorage.setItem("atalaya-scroll:" + target.pathname, String(window.scrollY));
      location.href = audience.value;
    });
  }
  var edition = document.getElementById("atalaya-edition");
  if (edition) {
    edition.addEventListener("change", function () {
      var stem = location.pathname.replace(/(\.[a-z]{2,3})?\.html$/, "");
      var source = edition.options[0].value;
      location.href = stem + (edition.value === source ? "" : "." + edition.value) + ".html";
    });
  }
})();
