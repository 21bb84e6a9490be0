// hajj-ivr wallboard: the numbers refresh every two seconds from /admin/api/wallboard.
"use strict";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "—" : String(text);
  return td;
}

function fill(tbodySelector, rows) {
  const body = document.querySelector(tbodySelector);
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }));
}

async function refresh() {
  try {
    const answer = await fetch("/admin/api/wallboard", { credentials: "same-origin" });
    if (answer.status === 401 || answer.status === 403) {
      window.location = "/login?next=/admin";
      return;
    }
    const board = await answer.json();
    for (const [key, value] of Object.entries(board)) {
      const tile = document.getElementById(`tile-${key}`);
      if (tile) tile.textContent = value === null ? "—" : String(value);
    }
    fill("#agents tbody", board.agents.map((a) => [cell(a.name), cell(a.tier), cell(a.state),
      cell(a.calls)]));
    fill("#live tbody", board.live.map((c) => {
      const link = document.createElement("a");
      link.href = `/admin/calls/${encodeURIComponent(c.id)}`;
      link.textContent = c.id;
      link.className = "live-call";
      const td = document.createElement("td");
      td.append(link);
      // The server writes the time in the hotline's zone, labelled (not the browser's zone).
      return [cell(c.started_text), cell(c.caller), cell(c.where), td];
    }));
    // Locks after too many wrong dates of birth or PINs (porsi and numbers masked).
    fill("#alerts tbody", board.alerts.map((a) => [cell(a.what), cell(a.subject),
      cell(a.at_text), cell(a.count)]));
    // Recordings past web.recordings_warn_mib: the warning the server wrote, else hidden.
    const warning = document.getElementById("recordings-warning");
    warning.textContent = board.recordings_warning;
    warning.hidden = !board.recordings_warning;
    document.body.dataset.updated = String(board.at);
  } catch (e) {
    document.body.dataset.error = String(e);
  }
}

refresh();
setInterval(refresh, 2000);
