// The budget checks of templates/programmes/budget_panel.html, redone as the applicant types; without this file the
// panel shows those of the last save. Same arithmetic as cade/applications/budget_checks.py, in minor units
// (shares of direct costs rounded down, co-financing up), and the server's sentences with the amounts filled in.
(function () {
  "use strict";
  var P = document.querySelector("[data-budget-checks]"), F = P && P.closest("form");
  if (!F || typeof BigInt !== "function" || !window.Intl) return;
  var d = P.dataset, lang = document.documentElement.lang || undefined, n = +d.places, B = BigInt, Z = B(0);
  var unit = B(Math.pow(10, n)), plain = /^[+-]?(\d+(\.\d*)?|\.\d+)$/, group = "", dec = ".", timer;
  var fmt = new Intl.NumberFormat(lang, {style: "currency", currency: d.currency, minimumFractionDigits: n,
    maximumFractionDigits: n});
  new Intl.NumberFormat(lang).formatToParts(12345.6).forEach(function (p) {
    if (p.type === "group") group = p.value.trim();
    if (p.type === "decimal") dec = p.value;
  });
  function minor(t) {  // "20000.50", or "20 000,50" in French → minor units; unreadable counts as 0
    t = (t || "").trim();
    if (!plain.test(t)) {
      t = t.replace(/[\s\u00a0\u2007\u2009\u202f]/g, "");
      if (group) t = t.split(group).join("");
      t = t.replace(dec, ".");
      if (!plain.test(t)) return Z;
    }
    var neg = t.charAt(0) === "-", b = t.replace(/^[+-]/, "").split("."), f = b[1] || "";
    if (f.length > n) return Z;
    while (f.length < n) f += "0";
    var v = B(b[0] || "0") * unit + B(f || "0");
    return neg ? -v : v;
  }
  function hundredths(t) { var b = String(t).split("."); return B(b[0]) * B(100) + B(((b[1] || "") + "00").slice(0, 2)); }
  function val(name) { var el = F.elements.namedItem(name); return el && el.value !== undefined ? el.value : null; }
  function sum(lines, codes) {
    return lines.reduce(function (s, l) { return !codes || codes.indexOf(l.code) > -1 ? s + l.amount : s; }, Z);
  }
  function check() {
    var lines = [], failing = 0;
    F.querySelectorAll("select[name^='budget_lines-'][name$='-category']").forEach(function (s) {
      var o = s.options[s.selectedIndex];
      lines.push({code: s.value, amount: minor(val(s.name.replace(/category$/, "amount"))), refused: o && o.dataset.refused});
    });
    var direct = sum(lines, (d.direct || "").split(" ")), total = sum(lines, null), cof = minor(val("cofinancing"));
    var asked = (val("requested_amount") || "").trim(), requested = minor(asked);
    P.querySelectorAll("[data-check]").forEach(function (li) {
      var k = li.dataset.check, p = li.dataset.percent, a = {entered: sum(lines, (li.dataset.codes || "").split(" ")),
        limit: Z, base: direct, gap: Z, requested: requested, cofinancing: cof}, text = null;
      if (k === "cap" || k === "share") {
        a.limit = k === "cap" ? B(li.dataset.limit) : direct * hundredths(p) / B(10000);
        a.gap = a.entered > a.limit ? a.entered - a.limit : Z;
      } else if (k === "cofinancing") {
        a.base = total; a.entered = cof; a.limit = (total * hundredths(p) + B(9999)) / B(10000);
        a.gap = a.limit > cof ? a.limit - cof : Z;
      } else if (k === "total" && asked) {
        a.entered = total; a.limit = requested + (d.cofinancing ? cof : Z);
        a.gap = total > a.limit ? total - a.limit : a.limit - total;
      } else if (k === "ineligible") {
        var refused = lines.filter(function (l) { return l.refused; }).map(function (l) { return l.refused; });
        text = refused.join(" ") || li.dataset.pass;
        a.gap = B(refused.length);
      } else {  // a rule only the server knows, or no amount requested yet: left as saved
        if (li.className === "check-fail") failing += 1;
        return;
      }
      var ok = a.gap === Z;
      if (text === null) {
        text = li.dataset[ok ? "pass" : "fail"];
        Object.keys(a).forEach(function (key) { text = text.split("{" + key + "}").join(fmt.format(Number(a[key]) / Math.pow(10, n))); });
      }
      failing += ok ? 0 : 1;
      li.className = ok ? "check-pass" : "check-fail";
      li.querySelector("[data-verdict]").textContent = ok ? d.met : d.unmet;
      var m = li.querySelector("[data-message]");
      if (m.textContent !== text) m.textContent = text;
    });
    var s = P.querySelector("[data-summary]"), says = failing ? s.dataset.fail.split("{}").join(failing) : s.dataset.ok;
    if (s.textContent !== says) s.textContent = says;  // polite: read out once typing pauses
  }
  F.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(check, 300); });
  F.addEventListener("change", check);
  check();
})();
