// The review page: keyboard, focus after swaps, text selection -> add form. Deferred; event delegation only.
(function () {
  "use strict";
  if (!document.getElementById("review")) return;

  var WORD = /[\p{L}\p{N}_]/u;
  var SPACE = /\s/;
  var currentId = null; // the attribution the editor is on
  var pendingFocus = null; // element id to focus once the swap has settled

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("#cards .card"));
  }
  function byId(id) {
    return id ? document.getElementById(id) : null;
  }
  function cardOf(el) {
    return el && el.closest ? el.closest(".card") : null;
  }

  function markCurrent(id) {
    document.querySelectorAll("mark.current").forEach(function (m) { m.classList.remove("current"); });
    if (!id) return;
    document.querySelectorAll('mark[data-a~="' + id + '"]').forEach(function (m) { m.classList.add("current"); });
  }

  function focusCard(card) {
    if (!card) return;
    currentId = card.dataset.id;
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    markCurrent(currentId);
    var first = document.querySelector('mark[data-a~="' + currentId + '"]');
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  function currentCard() {
    var card = cardOf(document.activeElement);
    if (card) return card;
    return currentId ? byId("attribution-" + currentId) : null;
  }

  function move(step) {
    var list = cards();
    if (!list.length) return;
    var card = currentCard();
    var i = card ? list.indexOf(card) : -1;
    var next = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(Math.max(i + step, 0), list.length - 1);
    focusCard(list[next]);
  }

  function submit(form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  function focusedSentenceRow() {
    var el = document.activeElement;
    var row = el && el.closest ? el.closest(".sent-row") : null;
    if (row) return row;
    var card = currentCard();
    return card && card.dataset.sentence ? byId("sentence-" + card.dataset.sentence) : null;
  }

  function toggleShortcuts() {
    var dialog = byId("shortcuts");
    if (!dialog) return;
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  // --- keyboard -------------------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var t = event.target;
    if (event.key === "Escape" && cardOf(t) && t !== cardOf(t)) {  // leave a card's form, back to the card
      focusCard(cardOf(t));
      event.preventDefault();
      return;
    }
    if (t && (t.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName))) return;
    var dialog = byId("shortcuts");
    if (dialog && dialog.open && event.key !== "?") return;
    var card = currentCard();
    var handled = true;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a":
        if (card) { pendingFocus = card.id; submit(card.querySelector(".confirm-form")); }
        break;
      case "x":
        if (card) { pendingFocus = card.id; submit(card.querySelector(".reject-form")); }
        break;
      case "e":
        if (card) { var link = card.querySelector(".edit-link"); if (link) link.click(); }
        break;
      case "1": case "2": case "3": case "4":
        var row = focusedSentenceRow();
        var button = row ? row.querySelector('button[data-key="' + event.key + '"]') : null;
        if (button) {
          var active = document.activeElement;
          var inRow = active && active.closest ? active.closest(".sent-row") : null;
          pendingFocus = inRow ? inRow.id : card ? card.id : row.id;
          button.click();
        }
        break;
      case "u": submit(byId("undo-form")); break;
      case "r": submit(byId("reviewed-form")); break;
      case "n":
        var next = byId("next-form");
        if (next) submit(next);
        else if (byId("next-link")) byId("next-link").click();
        break;
      case "?": toggleShortcuts(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var t = event.target;
    if (t.closest(".shortcuts-open")) { toggleShortcuts(); return; }
    var mark = t.closest("mark[data-a]");
    var sel = window.getSelection();
    if (mark && (!sel || sel.isCollapsed)) {
      var card = byId("attribution-" + mark.dataset.a.split(" ")[0]);
      if (card) focusCard(card);
    }
  });

  document.addEventListener("focusin", function (event) {
    var card = cardOf(event.target);
    if (card) { currentId = card.dataset.id; markCurrent(currentId); }
  });

  // --- focus after swaps ------------------------------------------------------------------
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (pendingFocus) return;
    var elt = event.detail.elt;
    var holder = elt && elt.closest ? elt.closest(".card, .sent-row, #progress") : null;
    if (holder && holder.id) pendingFocus = holder.id;
  });
  document.addEventListener("htmx:responseError", function () { pendingFocus = null; });
  document.body.addEventListener("attribution-added", function (event) {
    pendingFocus = "attribution-" + event.detail.id;
  });
  document.body.addEventListener("undone", function (event) {
    var d = event.detail;
    if (byId(d.object_type + "-" + d.id)) pendingFocus = d.object_type + "-" + d.id;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.target; // the element swapped in (detail.target may be the one it replaced)
    // an editor just opened: put the cursor in its first field
    if (target && target.classList && target.classList.contains("card") && target.querySelector(".edit-form")) {
      var field = target.querySelector(".edit-form select, .edit-form input:not([type=hidden])");
      var active = document.activeElement;
      var typing = active && target.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
      if (field && !typing) {
        currentId = target.dataset.id;
        field.focus();
        pendingFocus = null;
        return;
      }
    }
    var el = byId(pendingFocus);
    pendingFocus = null;
    if (!el) return;
    var a = document.activeElement;
    if (!a || a === document.body || !document.contains(a) || !el.contains(a)) {
      if (el.classList.contains("card")) focusCard(el);
      else el.focus({ preventScroll: true });
    }
    if (el.classList.contains("card")) markCurrent(el.dataset.id);
  });

  // --- select text to add an attribution or a span ------------------------------------------
  function sentOf(node) {
    var el = node && node.nodeType === 1 ? node : node && node.parentElement;
    return el ? el.closest(".sent") : null;
  }
  function localOffset(sent, node, offset) {
    var range = document.createRange();
    range.setStart(sent, 0);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  function selectionOffsets() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
    var range = sel.getRangeAt(0);
    var body = byId("body");
    if (!body || !body.contains(range.commonAncestorContainer)) return null;
    var sents = Array.prototype.filter.call(body.querySelectorAll(".sent"), function (s) {
      return range.intersectsNode(s);
    });
    if (!sents.length) return null;
    var first = sents[0], last = sents[sents.length - 1];
    var a = sentOf(range.startContainer) === first ? localOffset(first, range.startContainer, range.startOffset) : 0;
    var lastText = last.textContent;
    var b = sentOf(range.endContainer) === last ? localOffset(last, range.endContainer, range.endOffset) : lastText.length;
    var firstText = first.textContent;
    // snap to token boundaries: never start or end inside a word, drop surrounding spaces
    while (a < firstText.length && SPACE.test(firstText[a])) a++;
    while (a > 0 && WORD.test(firstText[a - 1]) && WORD.test(firstText[a] || "")) a--;
    while (b > 0 && SPACE.test(lastText[b - 1])) b--;
    while (b < lastText.length && WORD.test(lastText[b - 1] || "") && WORD.test(lastText[b])) b++;
    var start = parseInt(first.dataset.start, 10) + a;
    var end = parseInt(last.dataset.start, 10) + b;
    if (end <= start) return null;
    var text = first === last ? firstText.slice(a, b) : firstText.slice(a) + " … " + lastText.slice(0, b);
    return { start: start, end: end, text: text };
  }
  function onSelection() {
    var found = selectionOffsets();
    var form = byId("add-form");
    if (!found || !form) return;
    form.elements.start.value = found.start;
    form.elements.end.value = found.end;
    var preview = byId("add-selection");
    if (preview) preview.textContent = "“" + found.text + "” [" + found.start + ", " + found.end + ")";
    var panel = byId("add-panel");
    if (panel) { panel.classList.add("has-selection"); panel.scrollIntoView({ block: "nearest" }); }
  }
  document.addEventListener("mouseup", function (event) {
    if (event.target.closest && event.target.closest("#body")) window.setTimeout(onSelection, 0);
  });
  document.addEventListener("keyup", function (event) {
    if (event.shiftKey && event.target.closest && event.target.closest("#body")) onSelection();
  });
  // adding a span to an existing attribution carries the version of it the editor saw
  document.addEventListener("input", function (event) {
    if (event.target.id !== "add_target") return;
    var card = byId("attribution-" + event.target.value);
    var version = byId("add-form") && byId("add-form").elements.version;
    if (version) version.value = card ? card.dataset.version : "";
  });
})();
