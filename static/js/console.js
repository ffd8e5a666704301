// The console's one script, served from this origin (the CSP allows no other). Without it every page still works:
// the navigation simply stays unfolded on narrow screens.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // On a narrow screen the sidebar's sections fold behind a "Menu" button (console.css hides them while it says
  // aria-expanded="false"); on a wide one the button is not displayed and the sections always are.
  for (const toggle of document.querySelectorAll(".sidebar__toggle")) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      toggle.setAttribute("aria-expanded", String(toggle.getAttribute("aria-expanded") !== "true"));
    });
  }

  // A table wider than its box scrolls inside it: the box then takes the keyboard's focus, so that the arrow keys
  // scroll it too; a table that fits adds no stop to the tab order.
  const focusableWhenScrolling = (box) => {
    if (box.scrollWidth > box.clientWidth) box.tabIndex = 0;
    else box.removeAttribute("tabindex");
  };
  const observer = new ResizeObserver((entries) => entries.forEach((entry) => focusableWhenScrolling(entry.target)));
  for (const box of document.querySelectorAll(".table-scroll")) observer.observe(box);
});
