// The search page: reads the form's query from the address (so the form works as a plain
// GET form), asks Pagefind (same origin) and lists the results as text, never as HTML.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pagefind]");
  if (!form) { return; }
  var status = document.querySelector(".search-status");
  var list = document.querySelector(".search-results");
  // Messages, the site's root and the page's language come from the page. Pagefind keeps
  // one index per <html lang> and loads this page's; the delta holds every language's pages.
  var text = status.dataset;
  var prefix = text.linkPrefix || "";
  var lang = text.lang || document.documentElement.lang || "ja";
  var params = new URLSearchParams(window.location.search);
  ["q", "kind", "topic", "area", "month"].forEach(function (name) {
    if (params.has(name)) { form.elements[name].value = params.get(name); }
  });
  var query = (params.get("q") || "").trim();
  var filters = {};
  if (params.get("kind")) { filters["種類"] = params.get("kind"); }
  if (params.get("topic")) { filters["分野"] = params.get("topic"); }
  if (params.get("area")) { filters["地域"] = params.get("area"); }
  var month = /^(\d{4})-(\d{2})$/.exec(params.get("month") || "");
  if (month) { filters["月"] = month[1] + "年" + Number(month[2]) + "月"; }
  if (!query && !Object.keys(filters).length) { return; }
  status.textContent = text.searching || "検索しています…";
  function item(data) {
    var li = document.createElement("li");
    li.className = "post";
    var heading = document.createElement("h2");
    heading.className = "post-title";
    var link = document.createElement("a");
    // Pagefind's URLs are root-relative and already carry the language's folder.
    link.href = prefix + data.url;
    link.textContent = (data.meta && data.meta.title) || data.url;
    heading.appendChild(link);
    // Date, place and kind (the page's data-pagefind-meta), so like titles stay apart.
    var meta = data.meta || {};
    var facts = [meta.date, meta.place, meta.kind].filter(Boolean);
    var excerpt = document.createElement("p");
    excerpt.className = "post-summary";
    excerpt.textContent = String(data.excerpt || "").replace(/<[^>]*>/g, "");
    li.appendChild(heading);
    if (facts.length) {
      var line = document.createElement("p");
      line.className = "search-meta";
      line.textContent = facts.join(" / ");
      li.appendChild(line);
    }
    li.appendChild(excerpt);
    return li;
  }
  // What was published since Pagefind last indexed the site (search/delta.json): pages
  // added or changed, searched here by substring on NFKC-normalised text (Japanese has no
  // spaces), and the Pagefind pages that were withdrawn or replaced, dropped from its hits.
  function norm(value) { return String(value || "").normalize("NFKC").toLowerCase(); }
  var terms = norm(query).split(/\s+/).filter(Boolean);
  function loadDelta() {
    var url = form.getAttribute("data-delta");
    if (!url) { return Promise.resolve({}); }
    return fetch(url, { cache: "no-cache" }).then(function (r) { return r.ok ? r.json() : {}; })
      .catch(function () { return {}; });
  }
  function snippet(entry) {
    var shown = String(entry.text || "").normalize("NFKC");
    var at = terms.length ? Math.max(0, norm(shown).indexOf(terms[0])) : 0;
    var start = Math.max(0, at - 40);
    return (start ? "…" : "") + shown.slice(start, start + 120) + (shown.length > start + 120 ? "…" : "");
  }
  function deltaHits(delta) {
    return (delta.items || []).filter(function (entry) {
      if ((entry.lang || "ja") !== lang) { return false; }
      var values = entry.filters || {};
      var haystack = norm(entry.title + " " + entry.text);
      return Object.keys(filters).every(function (name) {
        return (values[name] || []).indexOf(filters[name]) >= 0;
      }) && terms.every(function (term) { return haystack.indexOf(term) >= 0; });
    }).map(function (entry) {
      var meta = Object.assign({}, entry.meta || {}, { title: entry.title });
      return { url: entry.url, meta: meta, excerpt: snippet(entry) };
    });
  }
  // Users' text is Japanese on English pages too (titles, places: marked lang="ja"), but
  // Pagefind indexes a page in its <html lang>: the English index holds each run of Japanese
  // as one word, found only from its start, while the Japanese index holds it segmented.
  // For a query with Japanese in it an English page also asks the Japanese index, then finds
  // each hit's English twin (/en/ + its URL) in its own index by the twin's title, which the
  // English index holds from its start; so results keep English meta and English filters.
  var JAPANESE = /[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]/;
  function japaneseIndex() {
    // A module of its own (its own worker and state), made with <html lang> at "ja": Pagefind
    // picks an instance's index by the page's language, read as the instance is made.
    var url = form.getAttribute("data-pagefind");
    return import(url + (url.indexOf("?") < 0 ? "?" : "&") + "index=ja").then(function (pagefind) {
      var root = document.documentElement;
      var own = root.getAttribute("lang");
      root.setAttribute("lang", "ja");
      try { return pagefind.createInstance({}); } finally { root.setAttribute("lang", own); }
    });
  }
  function rowsOf(search, count) {
    return Promise.all(search.results.slice(0, count).map(function (r) {
      return r.data().catch(function () { return null; });
    })).then(function (rows) { return rows.filter(Boolean); });
  }
  // One search after another: Pagefind answers one instance's searches in turn.
  function inTurn(items, each) {
    var all = [];
    return items.reduce(function (done, value) {
      return done.then(function () { return each(value); }).then(function (rows) {
        all = all.concat(rows);
      });
    }, Promise.resolve()).then(function () { return all; });
  }
  function twins(pagefind) {
    if (lang === "ja" || !query || !JAPANESE.test(query)) { return Promise.resolve([]); }
    return japaneseIndex().then(function (japanese) {
      return japanese.search(query).then(function (found) {
        return rowsOf(found, 30);
      }).then(function (rows) {
        japanese.destroy();
        return rows;
      });
    }).then(function (rows) {
      var wanted = {};
      var titles = [];
      rows.forEach(function (row) {
        wanted["/" + lang + row.url] = true;
        var title = row.meta && row.meta.title;
        if (title && titles.indexOf(title) < 0) { titles.push(title); }
      });
      return inTurn(titles, function (title) {
        return pagefind.search(title, { filters: filters }).then(function (search) {
          return rowsOf(search, 100);
        });
      }).then(function (found) {
        var seen = {};
        return found.filter(function (row) {
          if (!wanted[row.url] || seen[row.url]) { return false; }
          seen[row.url] = true;
          return true;
        });
      });
    }).catch(function () { return []; });
  }
  Promise.all([import(form.getAttribute("data-pagefind")), loadDelta()]).then(function (loaded) {
    var delta = loaded[1] || {};
    var removedIds = delta.removed_ids || [];
    var removedUrls = delta.removed_urls || [];
    var fresh = deltaHits(delta);
    var freshUrls = fresh.map(function (row) { return row.url; });
    return loaded[0].search(query || null, { filters: filters }).then(function (search) {
      var hits = search.results.filter(function (r) { return removedIds.indexOf(r.id) < 0; });
      var wanted = hits.slice(0, Math.max(0, 30 - fresh.length));
      return Promise.all(wanted.map(function (r) {
        return r.data().catch(function () { return null; });
      })).then(function (rows) {
        var kept = rows.filter(function (row) {
          return row && removedUrls.indexOf(row.url) < 0 && freshUrls.indexOf(row.url) < 0;
        });
        return twins(loaded[0]).then(function (found) {
          return { hits: hits, wanted: wanted, kept: kept, found: found };
        });
      }).then(function (got) {
        var hits = got.hits, wanted = got.wanted, kept = got.kept;
        var shown = freshUrls.concat(kept.map(function (row) { return row.url; }));
        var more = got.found.filter(function (row) {
          return removedUrls.indexOf(row.url) < 0 && shown.indexOf(row.url) < 0;
        });
        var total = fresh.length + hits.length - (wanted.length - kept.length) + more.length;
        var rowsShown = fresh.concat(kept, more).slice(0, 30);
        list.replaceChildren.apply(list, rowsShown.map(item));
        var found = (text.found || "{count}件見つかりました").replace("{count}", total);
        status.textContent = found + (total > 30 ? (text.first || "（先頭の30件を表示）") : "") +
          (text.end || "。");
      });
    });
  }).catch(function () {
    status.textContent = text.failed || "検索を利用できませんでした。カレンダーや分野別の一覧からお探しください。";
  });
})();
