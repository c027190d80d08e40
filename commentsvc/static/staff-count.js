/* Running counts under text areas (templates/_counted_field.html): characters against
   a maximum, or word-list entries against the most entries and the longest entry
   against the most characters. The count line updates as the text changes; a polite
   live region repeats it once typing pauses, so a screen reader is not interrupted at
   every key. Without this script the line is a plain hint stating the limit. */
(function () {
  "use strict";
  var format = window.Intl ? new Intl.NumberFormat(document.documentElement.lang || undefined) : null;
  function num(n) {
    return format ? format.format(n) : String(n);
  }
  function length(text) {
    return Array.from(text).length; // characters, as the server counts them
  }
  function entries(text) {
    // As moderation.rules.check_word_list: one per line or between commas, spaces
    // collapsed, duplicates (here: ignoring case) once.
    var seen = {};
    var count = 0;
    var longest = 0;
    text.split(/[\n,]/).forEach(function (raw) {
      var entry = raw.trim().replace(/\s+/g, " ");
      var key = entry.toLowerCase();
      if (!entry || seen[key]) return;
      seen[key] = true;
      count += 1;
      longest = Math.max(longest, length(entry));
    });
    return { count: count, longest: longest };
  }

  document.querySelectorAll("[data-count-for]").forEach(function (line) {
    var area = document.getElementById(line.getAttribute("data-count-for"));
    if (!area) return;
    var kind = line.getAttribute("data-count-kind");
    var max = Number(line.getAttribute("data-count-max"));
    var each = Number(line.getAttribute("data-count-each"));
    var template = line.getAttribute("data-count-text");
    var live = document.createElement("p");
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    line.parentNode.insertBefore(live, line.nextSibling);
    var pause = null;

    function update() {
      var text = template;
      var over;
      if (kind === "entries") {
        var found = entries(area.value);
        text = text.replace("{count}", num(found.count)).replace("{longest}", num(found.longest));
        over = found.count > max || found.longest > each;
      } else {
        var typed = length(area.value);
        text = text.replace("{count}", num(typed));
        over = typed > max;
      }
      line.textContent = text;
      line.classList.toggle("over", over);
      return text;
    }

    update();
    area.addEventListener("input", function () {
      var text = update();
      clearTimeout(pause);
      pause = setTimeout(function () {
        live.textContent = text;
      }, 1000);
    });
  });
})();
