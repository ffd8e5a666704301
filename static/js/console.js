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
});
