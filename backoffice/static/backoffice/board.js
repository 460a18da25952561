// The pipeline board: drag a card to a column (or pick a phase on the card and press Move).
// Both submit the card's own form through htmx; the answer is the card in its new state, and
// this script puts it in the column it names (a failed move comes back to where it was).
(function () {
  "use strict";

  function columnFor(phase) {
    return Array.from(document.querySelectorAll(".bo-column-cards")).find(
      (list) => list.dataset.phase === phase
    );
  }

  function recount() {
    document.querySelectorAll(".bo-column").forEach((column) => {
      const count = column.querySelectorAll(".bo-card").length;
      const badge = column.querySelector(".bo-count");
      if (badge) badge.textContent = String(count);
    });
  }

  function place(card) {
    const list = columnFor(card.dataset.column);
    if (list && card.parentElement !== list) {
      const hadFocus = card.contains(document.activeElement);
      list.prepend(card);
      if (hadFocus) card.querySelector("select, a")?.focus();
    }
    recount();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const board = document.getElementById("board");
    if (!board) return;

    htmx.onLoad((element) => {
      if (element.classList && element.classList.contains("bo-card")) place(element);
    });

    board.addEventListener("dragstart", (event) => {
      const card = event.target.closest && event.target.closest(".bo-card");
      if (!card) return;
      event.dataTransfer.setData("text/plain", card.id);
      event.dataTransfer.effectAllowed = "move";
      card.classList.add("is-dragging");
    });
    board.addEventListener("dragend", (event) => {
      const card = event.target.closest && event.target.closest(".bo-card");
      if (card) card.classList.remove("is-dragging");
      board.querySelectorAll(".is-drop-target").forEach((el) => el.classList.remove("is-drop-target"));
    });
    board.addEventListener("dragover", (event) => {
      const list = event.target.closest && event.target.closest(".bo-column");
      if (!list) return;
      event.preventDefault();
      list.classList.add("is-drop-target");
    });
    board.addEventListener("dragleave", (event) => {
      const list = event.target.closest && event.target.closest(".bo-column");
      if (list && !list.contains(event.relatedTarget)) list.classList.remove("is-drop-target");
    });
    board.addEventListener("drop", (event) => {
      const column = event.target.closest && event.target.closest(".bo-column");
      if (!column) return;
      event.preventDefault();
      column.classList.remove("is-drop-target");
      const card = document.getElementById(event.dataTransfer.getData("text/plain"));
      if (!card || card.dataset.column === column.dataset.phase) return;
      const select = card.querySelector("select[name=phase]");
      const form = card.querySelector("form");
      if (!select || !form || select.disabled) return;
      select.value = column.dataset.phase;
      column.querySelector(".bo-column-cards").prepend(card);
      recount();
      form.requestSubmit();
    });
  });
})();
