// The search page: reads the form's query from the address (so the form works as a plain
// GET form), asks Pagefind (same origin) and lists the results as text, never as HTML.
(function () {
  "use strict";
  var form = document.querySelector("form[data-pagefind]");
  if (!form) { return; }
  var status = document.querySelector(".search-status");
  var list = document.querySelector(".search-results");
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
  status.textContent = "検索しています…";
  function item(data) {
    var li = document.createElement("li");
    li.className = "post";
    var heading = document.createElement("h2");
    heading.className = "post-title";
    var link = document.createElement("a");
    link.href = data.url;
    link.textContent = (data.meta && data.meta.title) || data.url;
    heading.appendChild(link);
    var excerpt = document.createElement("p");
    excerpt.className = "post-summary";
    excerpt.textContent = String(data.excerpt || "").replace(/<[^>]*>/g, "");
    li.appendChild(heading);
    li.appendChild(excerpt);
    return li;
  }
  import(form.getAttribute("data-pagefind")).then(function (pagefind) {
    return pagefind.search(query || null, { filters: filters });
  }).then(function (search) {
    return Promise.all(search.results.slice(0, 30).map(function (r) { return r.data(); }))
      .then(function (rows) {
        list.replaceChildren.apply(list, rows.map(item));
        status.textContent = search.results.length + "件見つかりました" +
          (search.results.length > 30 ? "（先頭の30件を表示）" : "") + "。";
      });
  }).catch(function () {
    status.textContent = "検索を利用できませんでした。カレンダーや分野別の一覧からお探しください。";
  });
})();
