// A time-zone list marked data-browser-zone starts on the zone this browser reports, as long as the
// person has not chosen one. Without this file the list stays on UTC, and everything still works.
(function () {
  "use strict";

  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; }
  }

  // Browsers may report an older name for a zone (Asia/Calcutta for Asia/Kolkata): let the browser
  // name each listed zone its own way, and compare those names.
  function browserNameOf(zone) {
    try { return new Intl.DateTimeFormat("en", {timeZone: zone}).resolvedOptions().timeZone; } catch (e) { return null; }
  }

  function optionFor(select, zone) {
    var options = Array.prototype.slice.call(select.options);
    return options.find(function (o) { return o.value === zone; })
      || options.find(function (o) { return browserNameOf(o.value) === zone; })
      || null;
  }

  // Still on the option the page was served with: neither the person nor the browser's own
  // restoring of a form (the back button) has changed it.
  function untouched(select) {
    var current = select.options[select.selectedIndex];
    return !current || current.defaultSelected;
  }

  var zone = browserZone();
  if (!zone) return;
  document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
    if (!untouched(select)) return;
    var option = optionFor(select, zone);
    if (option) option.selected = true;
  });
})();
