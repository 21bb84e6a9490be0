// hajj-ivr nodes page: every five seconds (the controllers' heartbeat) the page is read
// again and its table put in place of the old one: the server renders it, escaped, as on
// the first load. A failed read (the web app restarting, the session ended) leaves the
// table as it was; the next tick tries again.
"use strict";

async function refresh() {
  try {
    const answer = await fetch(window.location.pathname, { credentials: "same-origin" });
    if (!answer.ok) {
      return;
    }
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = page.querySelector("main.nodes");
    if (fresh) {
      document.querySelector("main.nodes").replaceWith(fresh);
    }
  } catch (e) {
    // The web app out of reach: the next tick.
  }
}

window.setInterval(refresh, 5000);
