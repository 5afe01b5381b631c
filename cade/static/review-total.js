// The reviewer's weighted total, kept up to date as scores are typed (templates/reviews/review_assignment.html).
// Without this file the page shows the total of the saved scores. The arithmetic is the ranking's, term for term
// (weighted_score in cade/reviews/services/aggregation.py): 100 × Σ(score × weight) ÷ Σ(max × weight), and the
// figure is written as the server writes it (tests/e2e/test_review_total.py checks that the two agree).
(function () {
  "use strict";
  var box = document.querySelector("[data-review-total]");
  var form = box && box.closest("form");
  if (!form) return;
  var inputs = form.querySelectorAll("input[data-weight][data-max]");
  var value = box.querySelector("[data-review-total-value]");
  var hint = box.querySelector("[data-review-total-hint]");
  var saved = box.querySelector("[data-review-total-saved]");
  var number = null, timer = null;
  try {
    number = new Intl.NumberFormat(document.documentElement.lang || undefined,
      {minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false});
  } catch (e) { number = null; }

  // {complete, total}: no total until every criterion holds a whole number in range, as a review counts only
  // once submitted, complete; none either when no criterion carries weight (the ranking leaves it out).
  function weighted() {
    var scored = 0, possible = 0, complete = true;
    inputs.forEach(function (input) {
      var text = input.value.trim(), max = Number(input.dataset.max), weight = Number(input.dataset.weight);
      if (!/^[0-9]{1,6}$/.test(text) || Number(text) > max) { complete = false; return; }
      scored += Number(text) * weight;
      possible += max * weight;
    });
    return {complete: complete, total: complete && possible > 0 ? 100 * scored / possible : null};
  }

  // One decimal, rounded half to even on the shortest decimal form of the number: what Babel does with the
  // float the database returns (62.25 → 62.2, 12.45 → 12.4, 0.35 → 0.4), where toFixed would round 62.25 up.
  function oneDecimal(x) {
    var text = String(x);
    if (text.indexOf("e") !== -1) return x < 1 ? 0 : x;  // below 1e-6: never near a half
    var parts = text.split("."), digits = parts[1] || "";
    var tenths = Number(parts[0] + (digits.charAt(0) || "0")), rest = digits.slice(1), first = rest.charAt(0);
    if (first > "5" || (first === "5" && (rest.length > 1 || tenths % 2 === 1))) tenths += 1;
    return tenths / 10;
  }

  function show() {
    clearTimeout(timer);
    var result = weighted();
    var text = "—";
    if (result.total !== null) {
      var rounded = oneDecimal(result.total);
      text = number ? number.format(rounded) : rounded.toFixed(1);
    }
    // The region is polite and atomic: it speaks only when the figure (or the hint) really changes.
    if (value.textContent !== text) value.textContent = text;
    var says = hint && hint.dataset[result.complete ? "complete" : "missing"];
    if (says && hint.textContent !== says) hint.textContent = says;
  }

  if (saved && saved.dataset.live) saved.textContent = saved.dataset.live;  // it now follows what is typed
  show();
  // Once typing pauses, not at each keystroke: "1" then "10" would otherwise be read out twice.
  form.addEventListener("input", function (event) {
    if (!event.target.matches("input[data-weight]")) return;
    clearTimeout(timer);
    timer = setTimeout(show, 400);
  });
  form.addEventListener("change", function (event) {
    if (event.target.matches("input[data-weight]")) show();
  });
})();
