/* Fills a new record's key from its name as the editor types (the importer's transliteration,
   asked of the server), until the editor types a key of their own. */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.dataset.suggestUrl;
  function start() {
    var name = document.getElementById("id_name");
    var key = document.getElementById("id_key");
    if (!url || !name || !key) return;
    var suggested = key.value;  // empty on a new form; a key typed by hand is never overwritten
    var timer = null;
    var asked = 0;
    function suggest() {
      var ticket = ++asked;
      fetch(url + "?name=" + encodeURIComponent(name.value), {credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data || ticket !== asked || key.value !== suggested) return;  // stale answer or edited by hand
          key.value = suggested = data.key;
          key.dispatchEvent(new Event("change"));
        })
        .catch(function () {});
    }
    name.addEventListener("input", function () {
      if (key.value !== suggested) return;
      clearTimeout(timer);
      timer = setTimeout(suggest, 250);
    });
    key.setAttribute("data-key-from-name", "on");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
