// Client-side search over the split index written by generator/search_index.py.
// Results are built with DOM methods and textContent only, never innerHTML,
// so text from the index can never become markup.
(function () {
  "use strict";

  var config = document.getElementById("search-config");
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!config || !input || !status || !list) return;

  var root = config.getAttribute("data-index");
  var maxShown = 100;
  var cache = {};

  function fetchJson(path) {
    if (!cache[path]) {
      cache[path] = fetch(root + path).then(function (response) {
        if (response.status === 404) return null;
        if (!response.ok) throw new Error("search index file " + path + ": HTTP " + response.status);
        return response.json();
      });
    }
    return cache[path];
  }

  // Must match generator.search_index.normalise and tokens.
  function normalise(text) {
    return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }
  function tokens(text) {
    return normalise(text).match(/[\p{L}\p{N}]+/gu) || [];
  }
  function shardName(term, prefixLength) {
    var prefix = Array.from(term).slice(0, prefixLength).join("");
    var bytes = new TextEncoder().encode(prefix);
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  // Ids of papers with a word that starts with `term`.
  function lookup(term, manifest) {
    return fetchJson("terms/" + shardName(term, manifest.prefix_length) + ".json").then(function (shard) {
      var ids = new Set();
      if (!shard) return ids;
      Object.keys(shard).forEach(function (word) {
        if (word.indexOf(term) === 0) shard[word].forEach(function (id) { ids.add(id); });
      });
      return ids;
    });
  }

  function intersect(sets) {
    sets.sort(function (a, b) { return a.size - b.size; });
    var result = [];
    sets[0].forEach(function (id) {
      if (sets.every(function (s) { return s.has(id); })) result.push(id);
    });
    return result.sort(function (a, b) { return a - b; });
  }

  function documents(ids, manifest) {
    var chunks = {};
    ids.forEach(function (id) { chunks[Math.floor(id / manifest.docs_per_chunk)] = true; });
    var loads = Object.keys(chunks).map(function (n) {
      return fetchJson("docs/" + n + ".json").then(function (docs) { chunks[n] = docs; });
    });
    return Promise.all(loads).then(function () {
      return ids.map(function (id) {
        return chunks[Math.floor(id / manifest.docs_per_chunk)][id % manifest.docs_per_chunk];
      });
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The index numbers papers newest first; within a year the papers shown are sorted by title.
  function show(docs, total) {
    list.replaceChildren();
    docs.slice().sort(function (a, b) {
      return (b[4] - a[4]) || a[0].localeCompare(b[0]);
    }).forEach(function (doc) {
      var item = element("li", "paper");
      var link = element("a", "paper-title", doc[0]);
      link.href = doc[1];
      item.appendChild(link);
      item.appendChild(element("div", "paper-meta", doc[2].join(", ")));
      var venue = [doc[3], doc[4] || "", doc[5]].filter(Boolean).join(" · ");
      item.appendChild(element("div", "paper-meta", venue));
      list.appendChild(item);
    });
    var words = total === 0 ? config.getAttribute("data-no-results")
      : total === 1 ? config.getAttribute("data-result-one")
      : config.getAttribute("data-results").replace("{count}", String(total));
    if (total > docs.length) words += " " + config.getAttribute("data-more").replace("{count}", String(docs.length));
    status.textContent = words;
  }

  var latest = 0;
  function run() {
    var query = input.value;
    var request = ++latest;
    fetchJson("manifest.json").then(function (manifest) {
      var stop = new Set(manifest.stop_words);
      var terms = tokens(query).filter(function (t) { return !stop.has(t); });
      if (terms.length === 0) {
        list.replaceChildren();
        status.textContent = "";
        return null;
      }
      return Promise.all(terms.map(function (t) { return lookup(t, manifest); })).then(function (sets) {
        var ids = intersect(sets);
        return documents(ids.slice(0, maxShown), manifest).then(function (docs) {
          if (request === latest) show(docs, ids.length);
        });
      });
    }).catch(function (error) {
      status.textContent = String(error.message || error);
    });
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) {
    input.value = initial;
    run();
  }
})();
